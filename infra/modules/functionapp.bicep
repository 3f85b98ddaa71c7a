// The function app on a Flex Consumption (FC1) plan, Linux, Python 3.12.
//
// Flex Consumption rules (see infra/README.md): the runtime is set in functionAppConfig, never
// with the FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION / WEBSITE_RUN_FROM_PACKAGE /
// WEBSITE_TIME_ZONE app settings; the code package lives in a blob container read with the
// user-assigned identity; host storage is identity-based (AzureWebJobsStorage__*). siteConfig
// keeps only what Flex accepts: newer regions reject the FTP, 32-bit, pre-warm and .NET
// properties outright (error 51021), so publishing credentials are switched off with
// basicPublishingCredentialsPolicies instead.

@description('Function app name (also the default host name <name>.azurewebsites.net).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Storage account for host state and the app data (identity-based).')
param storageAccountName string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Versionless Key Vault URI of the Twilio auth token secret.')
param twilioAuthTokenUri string

@description('Twilio Account SID (AC...).')
param twilioAccountSid string

@description('Twilio Messaging Service SID (MG...), or empty.')
param twilioMessagingServiceSid string

@description('Public base URL override, or empty for https://<default host name>.')
param publicBaseUrl string

@description('SMS provider: twilio sends, outbox records and sends nothing.')
@allowed([
  'outbox'
  'twilio'
])
param smsProvider string

@description('Most instances the app may scale out to.')
param maximumInstanceCount int

@description('Memory per instance in MB.')
param instanceMemoryMB int

@description('Always-ready instances per scale group ([{name, instanceCount}]); empty: none.')
param alwaysReady array

@description('Object id of the CI service principal that publishes the code, or empty.')
param ciPrincipalId string

@description('URL of the ready-to-run code package (released-package.zip) to deploy with OneDeploy, or empty to deploy no code.')
param packageUri string

@description('Client id of the Entra app registration for portal sign-in, or empty (no sign-in).')
param entraClientId string

@description('Sign-in email of the portal\'s first admin, or empty.')
param portalFirstAdmin string

// Built-in roles for the CI identity, from
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles (Web and Mobile,
// General). `az functionapp deployment source config-zip` reads the plan before it publishes
// (Microsoft.Web/serverfarms/read), which Website Contributor scoped to the site does not cover.
var ciRoles = {
  websiteContributor: 'de139f84-1756-47ae-9be6-808fbbe84772' // Website Contributor
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225:Zone redundancy on Flex Consumption needs always-ready instances (billed while idle) and is not offered in every region; a small business's SMS backend runs scale-to-zero.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222:The API must be public: Power Automate (the connector) and Twilio (webhooks) call it from the internet. Callers authenticate with an API key or a Twilio signature.
  // checkov:skip=CKV_AZURE_17:Neither Power Automate custom connectors nor Twilio webhooks present client certificates; authentication is the API key / Twilio signature checked by the code.
  // checkov:skip=CKV_AZURE_212:Flex Consumption scales from zero; a minimum instance count means always-ready instances billed while idle.
  // checkov:skip=CKV_AZURE_213:App Service health check probes a fixed instance pool; Flex Consumption manages scale-to-zero instances itself and the app has no health endpoint yet.
  // checkov:skip=CKV_AZURE_78:Flex Consumption has no FTP endpoint and rejects the siteConfig FTP property (error 51021); FTP and SCM basic-auth publishing are disabled by the two basicPublishingCredentialsPolicies below.
  name: name
  location: location
  // azd finds the app to deploy the `api` service (azure.yaml) to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'python'
        version: '3.12'
      }
    }
  }
}

// No basic-auth (user name + password) publishing: deployments authenticate with Microsoft
// Entra ID (az functionapp deployment source config-zip and azd deploy send a bearer token).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

// The CI identity publishes the code (infra/README.md, "Continuous deployment").
resource ciSiteAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ciPrincipalId)) {
  scope: site
  name: guid(site.id, ciPrincipalId, ciRoles.websiteContributor)
  properties: {
    principalId: ciPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ciRoles.websiteContributor)
  }
}

resource ciPlanAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(ciPrincipalId)) {
  scope: plan
  name: guid(plan.id, ciPrincipalId, ciRoles.reader)
  properties: {
    principalId: ciPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ciRoles.reader)
  }
}

var trimmedBaseUrl = endsWith(publicBaseUrl, '/') ? substring(publicBaseUrl, 0, length(publicBaseUrl) - 1) : publicBaseUrl
var baseUrl = empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : trimmedBaseUrl

// Settings the Functions host reads: identity-based storage and Entra-authenticated telemetry.
// (AzureWebJobsStorage__accountName / __clientId are read by shared_code/common/config.py too.)
var hostAppSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// Settings the code reads (shared_code/common/config.py). Settings not listed keep their defaults:
// tests/infra/test_cross_check.py holds the reviewed list and fails on any new setting.
var codeAppSettings = {
  SMS_PROVIDER: smsProvider
  PUBLIC_BASE_URL: baseUrl
  TWILIO_ACCOUNT_SID: twilioAccountSid
  TWILIO_AUTH_TOKEN: '@Microsoft.KeyVault(SecretUri=${twilioAuthTokenUri})'
}

var optionalAppSettings = empty(twilioMessagingServiceSid) ? {} : { TWILIO_MESSAGING_SERVICE_SID: twilioMessagingServiceSid }

// The portal is served at the site root (host.json routePrefix ""): no Functions welcome page
// there (AzureWebJobsDisableHomepage, read by the host), and who may create the first account.
var portalAppSettings = {
  AzureWebJobsDisableHomepage: 'true'
  PORTAL_FIRST_ADMIN: portalFirstAdmin
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov reads every sites/config resource as the site's "web" configuration; this one is
  // the app settings list, so its site-configuration checks do not apply:
  // checkov:skip=CKV_AZURE_13:Not site configuration (appsettings list). App Service Authentication is the authsettingsV2 resource below (portal sign-in); the API authenticates callers itself (API keys, Twilio signatures).
  // checkov:skip=CKV_AZURE_63:Not site configuration (appsettings list); HTTP logs go to Application Insights.
  // checkov:skip=CKV_AZURE_65:Not site configuration (appsettings list); detailed error pages are an App Service (web app) feature.
  // checkov:skip=CKV_AZURE_66:Not site configuration (appsettings list); failed request tracing is an App Service (web app) feature.
  // checkov:skip=CKV_AZURE_80:Not site configuration (appsettings list); the app is Python, not .NET.
  // checkov:skip=CKV_AZURE_88:Not site configuration (appsettings list); Flex Consumption has no Azure Files content share (code runs from the deployment blob).
  // checkov:skip=CKV_AZURE_222:Not site configuration (appsettings list); see the same check on the site above.
  parent: site
  name: 'appsettings'
  properties: union(hostAppSettings, codeAppSettings, optionalAppSettings, portalAppSettings)
}

// Portal sign-in: App Service built-in authentication with Microsoft Entra ID (the business's
// work accounts), single tenant. Anonymous requests pass (AllowAnonymous): the API keeps its
// API keys and Twilio signatures, and the portal sends signed-out visitors to /.auth/login/aad
// itself. No client secret: the sign-in uses the ID token (the app registration must issue ID
// tokens, infra/README.md); no token store, the app needs only the identity headers.
resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(entraClientId)) {
  // checkov reads every sites/config resource as the site's "web" configuration; this one is
  // the authentication settings, so its site-configuration checks do not apply:
  // checkov:skip=CKV_AZURE_13:This resource is the App Service Authentication configuration (authsettingsV2, platform.enabled); checkov reads it as site configuration.
  // checkov:skip=CKV_AZURE_63:Not site configuration (authsettingsV2); HTTP logs go to Application Insights.
  // checkov:skip=CKV_AZURE_65:Not site configuration (authsettingsV2); detailed error pages are an App Service (web app) feature.
  // checkov:skip=CKV_AZURE_66:Not site configuration (authsettingsV2); failed request tracing is an App Service (web app) feature.
  // checkov:skip=CKV_AZURE_80:Not site configuration (authsettingsV2); the app is Python, not .NET.
  // checkov:skip=CKV_AZURE_88:Not site configuration (authsettingsV2); Flex Consumption has no Azure Files content share.
  // checkov:skip=CKV_AZURE_222:Not site configuration (authsettingsV2); see the same check on the site above.
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: entraClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            entraClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

// The code, when a package URL is given (the "Deploy to Azure" button: CI's release asset).
// Flex Consumption takes code only through its deployment service (OneDeploy): ARM hands it
// the URL, the service downloads the package, stores it in the deployment container with the
// app's identity and restarts the app. Putting a blob in that container yourself deploys
// nothing. The package is ready to run (.python_packages built for Linux x86_64, CPython 3.12,
// by infra/package_app.py --ready-to-run), hence no remote build. It runs with the rights of
// whoever deploys the template: no identity gets a role for it. infra/README.md, "The deploy
// pipeline".
resource codePackage 'Microsoft.Web/sites/extensions@2024-04-01' = if (!empty(packageUri)) {
  parent: site
  name: 'onedeploy'
  // The resource type declares no properties for 'onedeploy'; the deployment service reads
  // these two (learn.microsoft.com: functions-infrastructure-as-code, "Deployment package").
  #disable-next-line BCP187
  properties: {
    packageUri: packageUri
    remoteBuild: false
  }
  // The host needs its storage settings to start and index the new code.
  dependsOn: [
    appSettings
  ]
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output baseUrl string = baseUrl
