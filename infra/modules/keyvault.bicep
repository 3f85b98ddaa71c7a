// Key Vault (RBAC authorization, no access policies) holding the Twilio auth token.
// The function app reads it through a Key Vault reference resolved with the user-assigned
// identity (Key Vault Secrets User, assigned in roles.bicep). Every access is audited to the
// Log Analytics workspace (AuditEvent, table AZKVAuditLogs).

@description('Key Vault name (3-24 letters, digits and hyphens, starting with a letter).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Twilio auth token stored as a secret. Empty: leave the secret as it is (a token rotated in the vault is never overwritten by a re-deployment without a value).')
@secure()
param twilioAuthToken string

@description('Resource id of the Log Analytics workspace that receives the vault\'s audit log.')
param workspaceId string

// Name of the secret holding the Twilio auth token.
var twilioAuthTokenEntry = 'twilio-auth-token'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109:The app resolves its Key Vault reference over the public endpoint (no virtual network); access needs Entra ID and the Key Vault Secrets User role.
  // checkov:skip=CKV_AZURE_189:Same as CKV_AZURE_109: public network access with RBAC-only authorization.
  // checkov:skip=CKV_AZURE_110:No purge protection on purpose: it cannot be turned off and would block deleting and redeploying a trial for the retention period; the only secret is the Twilio auth token, which Twilio can reissue. Soft delete stays on (7 days).
  // checkov:skip=CKV_AZURE_42:Recoverable = soft delete + purge protection; soft delete is on, purge protection is off for the reason given for CKV_AZURE_110.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Written only when a value is given: a re-deployment without one keeps the current version.
resource twilioAuthTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(twilioAuthToken)) {
  // checkov:skip=CKV_AZURE_41:Twilio auth tokens do not expire; an expiry date would stop the Key Vault reference from resolving and silently stop sending. Rotate the token in Twilio and set a new secret version (infra/README.md).
  // checkov:skip=CKV_AZURE_114:contentType is set (text/plain) below; checkov does not read the body of a conditional (if) resource and reports it missing.
  parent: vault
  name: twilioAuthTokenEntry
  properties: {
    value: twilioAuthToken
    contentType: 'text/plain'
  }
}

// Who read or changed which secret, and when: Key Vault's AuditEvent category, in the
// resource-specific table AZKVAuditLogs of the workspace.
resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: vault
  name: 'audit-to-log-analytics'
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
// Versionless URI, built from the vault (the secret resource may not be part of this
// deployment): the app picks up a new secret version (token rotation) on its own.
output twilioAuthTokenUri string = '${vault.properties.vaultUri}secrets/${twilioAuthTokenEntry}'
