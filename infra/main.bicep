// Power Textor backend in a business's own Azure subscription (resource-group scope).
//
//   az group create -n <rg> -l <region>
//   az deployment group create -g <rg> -f infra/main.bicep -p infra/main.bicepparam
//
// Creates: a Flex Consumption function app (Python 3.12) running as a user-assigned managed
// identity; one storage account with shared keys disabled (host state, the app's tables and
// queues, the deployment package); Key Vault (RBAC) holding the Twilio auth token;
// Log Analytics + Application Insights; the role assignments that tie them together; and,
// when packageUri is not empty, the code itself (OneDeploy of CI's released-package.zip).
// infra/azuredeploy.json is the ARM form of this file (the "Deploy to Azure" button). CI
// compiles this file and infra/compare_templates.py fails the build when the two would deploy
// anything different (resources, properties, parameters, outputs); see infra/README.md.
targetScope = 'resourceGroup'

@description('Short name put in front of every resource name: 2-10 letters, digits and single hyphens, starting with a letter, not ending with a hyphen (lower-cased).')
@minLength(2)
@maxLength(10)
param namePrefix string = 'textor'

@description('Azure region of every resource; it must offer the Flex Consumption plan. Default: the resource group\'s region.')
param location string = resourceGroup().location

@description('Twilio Account SID (starts with AC), from the Twilio console.')
@minLength(34)
@maxLength(34)
param twilioAccountSid string

@description('Twilio auth token, stored in Key Vault (the app reads it through a Key Vault reference). Give it on the first deployment and to rotate it; leave it empty on later deployments to keep the token the vault holds.')
@secure()
param twilioAuthToken string = ''

@description('Optional Twilio Messaging Service SID (starts with MG). Empty: send from the account\'s number.')
param twilioMessagingServiceSid string = ''

@description('Public base URL of the app when it is served under another host (custom domain, Front Door). Empty: https://<function app default host name>.')
param publicBaseUrl string = ''

@description('SMS provider: twilio sends real texts; outbox records them and sends nothing (trial run).')
@allowed([
  'twilio'
  'outbox'
])
param smsProvider string = 'twilio'

@description('Optional object id of the person (or group) who runs the admin CLI; gets Storage Table Data Contributor. Empty: assign it later with az role assignment create.')
param adminPrincipalId string = ''

@description('Most instances the app may scale out to (Flex Consumption).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB (Flex Consumption).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional always-ready instances (billed while idle), e.g. [{"name": "http", "instanceCount": 1}] keeps one instance warm for the API and the Twilio webhooks. Names: http, blob, durable or function:<name>. Default: none (scale to zero).')
param alwaysReady array = []

@description('Optional object id of the CI service principal (GitHub Actions, OpenID Connect) that publishes the code: gets Website Contributor on the function app and Reader on its plan. Empty: none.')
param ciPrincipalId string = ''

@description('Client id of the Microsoft Entra app registration the portal signs in with (App Service authentication; infra/README.md, "Sign-in"). Empty: the portal is not signed in to (it says so); the API is unaffected either way.')
param entraClientId string = ''

@description('Sign-in email of the portal\'s first admin: they may create the business\'s account at the site root. Default: the user running the deployment (empty when a service principal deploys: set it).')
param portalFirstAdmin string = deployer().userPrincipalName

@description('URL of the code package to deploy (released-package.zip: the app with its Python packages, built by CI from main and published as a GitHub release asset). The Flex Consumption deployment service downloads it anonymously. Empty: deploy no code (publish it with az functionapp deployment source config-zip, azd deploy or CI).')
param packageUri string = 'https://github.com/OWNER/REPO/releases/download/main-build/released-package.zip'

// ---------------------------------------------------------------------------------------
// Storage names: mirror shared_code/common/storage/names.py, one line per name.
// tests/infra/test_cross_check.py fails when these lists and names.py disagree.
// ---------------------------------------------------------------------------------------
var storageTables = [
  'Accounts'
  'Numbers'
  'ApiKeys'
  'AddressBook'
  'Campaigns'
  'Recipients'
  'Schedule'
  'Idempotency'
  'OptOuts'
  'Links'
  'Outbox'
  'OptOutLog'
  'Inbound'
  'Subscriptions'
  'Deliveries'
  'Audiences'
  'AccountAdmins'
  'Secrets'
  'Conversations'
]

// Each queue also gets its '<name>-poison' twin (modules/storage.bicep).
var storageQueues = [
  'dispatch'
  'send'
  'inbound'
  'notify'
]

var storageContainers = [
  'media'
]

// Flex Consumption deployment package container (not used by the code).
var deploymentContainerName = 'app-package'

// ---------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------
// ARM has no regular expressions, so the character rule is spelled out: splitting on every
// allowed character leaves nothing but the stray ones. Lower-cased letters, digits and single
// hyphens fit every name below (storage drops the hyphens; Key Vault allows no '--', no leading
// digit, no trailing hyphen). A bad prefix fails validation before anything is created.
var prefixCandidate = toLower(namePrefix)
var prefixAlphabet = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-']
var prefixStrayCharacters = join(split(prefixCandidate, prefixAlphabet), '')
var prefixIsValid = empty(prefixStrayCharacters) && contains('abcdefghijklmnopqrstuvwxyz', first(prefixCandidate)) && !endsWith(prefixCandidate, '-') && !contains(prefixCandidate, '--')
var prefix = prefixIsValid ? prefixCandidate : fail('namePrefix \'${namePrefix}\' is not valid: use 2-10 letters, digits and single hyphens, starting with a letter and not ending with a hyphen.')
var token = uniqueString(resourceGroup().id, prefix)
var tags = {
  application: 'power-textor'
}
var functionAppName = '${prefix}-func-${token}'
var planName = '${prefix}-plan-${token}'
var identityName = '${prefix}-id-${token}'
var workspaceName = '${prefix}-log-${token}'
var appInsightsName = '${prefix}-appi-${token}'
var storageAccountName = take('${replace(prefix, '-', '')}st${token}', 24)
var keyVaultName = take('${prefix}-kv-${token}', 24)

// Nested deployment names carry a hash of this deployment's name: two deployments into one
// resource group (another template, a second environment, a re-run under another name) never
// overwrite each other's module deployments or their history.
var moduleSuffix = uniqueString(deployment().name)

module identity 'modules/identity.bicep' = {
  name: 'identity-${moduleSuffix}'
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring-${moduleSuffix}'
  params: {
    workspaceName: workspaceName
    appInsightsName: appInsightsName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage-${moduleSuffix}'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    tableNames: storageTables
    queueNames: storageQueues
    containerNames: storageContainers
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault-${moduleSuffix}'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    twilioAuthToken: twilioAuthToken
    workspaceId: monitoring.outputs.workspaceId
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles-${moduleSuffix}'
  params: {
    identityId: identity.outputs.id
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    adminPrincipalId: adminPrincipalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp-${moduleSuffix}'
  params: {
    name: functionAppName
    planName: planName
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    twilioAuthTokenUri: keyVault.outputs.twilioAuthTokenUri
    twilioAccountSid: twilioAccountSid
    twilioMessagingServiceSid: twilioMessagingServiceSid
    publicBaseUrl: publicBaseUrl
    smsProvider: smsProvider
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReady: alwaysReady
    ciPrincipalId: ciPrincipalId
    packageUri: packageUri
    entraClientId: entraClientId
    portalFirstAdmin: portalFirstAdmin
  }
  // The identity needs its storage, Key Vault and telemetry roles before the host starts.
  dependsOn: [
    roles
  ]
}

@description('Name of the function app (for func azure functionapp publish / az functionapp deployment).')
output functionAppName string = functionApp.outputs.name

@description('Base URL of the API (the connector host is this without https://).')
output functionAppUrl string = functionApp.outputs.baseUrl

@description('Storage account (AzureWebJobsStorage__accountName for the admin CLI).')
output storageAccountName string = storage.outputs.name

@description('Key Vault holding the Twilio auth token (rotate it there).')
output keyVaultName string = keyVault.outputs.name

@description('The portal (sign in with the business\'s Microsoft Entra ID work account).')
output portalUrl string = '${functionApp.outputs.baseUrl}/'

@description('Redirect URI to register on the Entra app registration (Authentication > Web).')
output signInRedirectUri string = '${functionApp.outputs.baseUrl}/.auth/login/aad/callback'

@description('Twilio number configuration: "A message comes in" webhook (HTTP POST).')
output twilioInboundWebhookUrl string = '${functionApp.outputs.baseUrl}/api/twilio/inbound'

@description('Twilio status callback URL (delivery receipts).')
output twilioStatusCallbackUrl string = '${functionApp.outputs.baseUrl}/api/twilio/status'

// Azure Developer CLI conventions (azd stores every output in .azure/<env>/.env).
@description('azd convention: the function app of the api service.')
output AZURE_FUNCTION_NAME string = functionApp.outputs.name

@description('azd convention: the resource the api service (azure.yaml) is deployed to.')
output SERVICE_API_NAME string = functionApp.outputs.name

@description('azd convention: the region of the resources.')
output AZURE_LOCATION string = location

@description('azd convention: the Microsoft Entra tenant of the subscription.')
output AZURE_TENANT_ID string = tenant().tenantId
