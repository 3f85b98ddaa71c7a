// Example parameters for infra/main.bicep.
//
// Values are read from environment variables when the file is compiled, so the secret never
// lands in a file and the same file serves both paths. Every variable is prefixed TEXTOR_:
// a developer's local SMS_PROVIDER=outbox or TWILIO_* (the app's own settings for the local
// host) never reaches a deployment by accident.
//   Azure CLI:  export TEXTOR_TWILIO_ACCOUNT_SID=AC... TEXTOR_TWILIO_AUTH_TOKEN=...   (then az deployment group create)
//   azd:        azd env set TEXTOR_TWILIO_ACCOUNT_SID AC...; azd env set TEXTOR_TWILIO_AUTH_TOKEN ...
// Or replace a readEnvironmentVariable(...) call with a literal ('my-value').
// AZURE_ENV_NAME and AZURE_PRINCIPAL_ID are azd's own (it sets them); parameters not listed
// here (location, instance sizing) keep main.bicep's defaults.
using './main.bicep'

// Short prefix of every resource name (azd passes its environment name).
param namePrefix = readEnvironmentVariable('AZURE_ENV_NAME', 'textor')

// Required: from the Twilio console (Account info).
param twilioAccountSid = readEnvironmentVariable('TEXTOR_TWILIO_ACCOUNT_SID')

// Needed on the first deployment and to rotate the token; empty keeps the secret the vault
// holds (infra/README.md, "Rotate the Twilio token").
param twilioAuthToken = readEnvironmentVariable('TEXTOR_TWILIO_AUTH_TOKEN', '')

// Optional: a Messaging Service (MG...) to send from; empty = the account's own number.
param twilioMessagingServiceSid = readEnvironmentVariable('TEXTOR_TWILIO_MESSAGING_SERVICE_SID', '')

// Optional: public URL when a custom domain or Front Door sits in front of the app.
param publicBaseUrl = readEnvironmentVariable('TEXTOR_PUBLIC_BASE_URL', '')

// 'twilio' sends; 'outbox' records and sends nothing (a dry run).
param smsProvider = readEnvironmentVariable('TEXTOR_SMS_PROVIDER', 'twilio')

// Optional: always-ready instances for the HTTP functions (the API and the Twilio webhooks),
// billed while idle, so a text after a quiet spell meets no cold start. 0 (default): none.
// Other scale groups (blob, durable, function:<name>): write the alwaysReady array here.
var alwaysReadyHttp = int(readEnvironmentVariable('TEXTOR_ALWAYS_READY_HTTP', '0'))
param alwaysReady = alwaysReadyHttp > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttp }] : []

// Optional: object id of the GitHub Actions service principal that publishes the code.
param ciPrincipalId = readEnvironmentVariable('TEXTOR_CI_PRINCIPAL_ID', '')

// The code package the template deploys (OneDeploy). Empty here: Path A publishes the working
// tree with config-zip and azd with `azd deploy`, so the template deploys no code of its own.
// Set it to deploy a published package instead (e.g. CI's release asset, infra/README.md).
param packageUri = readEnvironmentVariable('TEXTOR_PACKAGE_URI', '')

// Portal sign-in: the Application (client) id of the Entra app registration (infra/README.md,
// "Sign-in"). Empty: the portal says sign-in is not set up; the API works either way.
param entraClientId = readEnvironmentVariable('TEXTOR_ENTRA_CLIENT_ID', '')
// portalFirstAdmin is not set here: main.bicep defaults it to the deploying user
// (deployer().userPrincipalName). A service principal deploying must pass it (-p portalFirstAdmin=...).

// Optional: your object id (az ad signed-in-user show --query id -o tsv), so you can run the
// admin CLI against the deployed tables. azd fills AZURE_PRINCIPAL_ID itself.
param adminPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
