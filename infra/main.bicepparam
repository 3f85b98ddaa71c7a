// Example parameters for infra/main.bicep.
//
// Values are read from environment variables when the file is compiled, so the secret never
// lands in a file and the same file serves both paths:
//   Azure CLI:  export TWILIO_ACCOUNT_SID=AC... TWILIO_AUTH_TOKEN=...   (then az deployment group create)
//   azd:        azd env set TWILIO_ACCOUNT_SID AC...; azd env set TWILIO_AUTH_TOKEN ...
// Or replace a readEnvironmentVariable(...) call with a literal ('my-value').
// Parameters not listed here (location, instance sizing) keep main.bicep's defaults.
using './main.bicep'

// Short lowercase prefix of every resource name (azd passes its environment name).
param namePrefix = readEnvironmentVariable('AZURE_ENV_NAME', 'textor')

// Required: from the Twilio console (Account info).
param twilioAccountSid = readEnvironmentVariable('TWILIO_ACCOUNT_SID')
param twilioAuthToken = readEnvironmentVariable('TWILIO_AUTH_TOKEN')

// Optional: a Messaging Service (MG...) to send from; empty = the account's own number.
param twilioMessagingServiceSid = readEnvironmentVariable('TWILIO_MESSAGING_SERVICE_SID', '')

// Optional: public URL when a custom domain or Front Door sits in front of the app.
param publicBaseUrl = readEnvironmentVariable('PUBLIC_BASE_URL', '')

// 'twilio' sends; 'outbox' records and sends nothing (a dry run).
param smsProvider = readEnvironmentVariable('SMS_PROVIDER', 'twilio')

// Optional: your object id (az ad signed-in-user show --query id -o tsv), so you can run the
// admin CLI against the deployed tables. azd fills AZURE_PRINCIPAL_ID itself.
param adminPrincipalId = readEnvironmentVariable('AZURE_PRINCIPAL_ID', '')
