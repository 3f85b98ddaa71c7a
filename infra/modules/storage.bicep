// The one storage account: Functions host state, the app's tables/queues/containers, and the
// Flex Consumption deployment container. Shared-key access is disabled: everything (host,
// code, deployments, the admin CLI) authenticates with Microsoft Entra ID.
//
// The table/queue/container names come from main.bicep, which mirrors
// shared_code/common/storage/names.py (tests/infra/test_cross_check.py keeps them in sync).

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Tables the code uses (names.TABLES).')
param tableNames array

@description('Queues the code uses (names.QUEUES); each also gets its "-poison" twin.')
param queueNames array

@description('Blob containers the code uses (names.CONTAINERS).')
param containerNames array

@description('Blob container holding the Flex Consumption deployment package.')
param deploymentContainerName string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35:Public endpoint on purpose: the Flex Consumption app has no virtual network here, so it reaches storage over the internet; every request needs a Microsoft Entra token (shared keys are disabled). Private endpoints are a later hardening step (infra/README.md).
  // checkov:skip=CKV_AZURE_59:Same as CKV_AZURE_35: network access stays public, data access is Entra ID + RBAC only, anonymous blob access is off.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    // Geo-redundant: the tables hold the business's contacts and keys; the cost difference
    // for an account this small is cents a month.
    name: 'Standard_GRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: queue
  }
]

// The "<queue>-poison" twin the Functions host moves a message to after maxDequeueCount
// failed attempts (host.json). Created here so it exists before the first failure and can be
// watched or alerted on.
resource poisonQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: '${queue}-poison'
  }
]

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in containerNames: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
