@{
    # Two builds: net8.0/ for PowerShell 7.4+ (the runtime's own System.Text.Json and friends), netstandard2.0/
    # for Windows PowerShell 5.1. Picked here, not by a loader script: a script root module costs ~250 ms of
    # start-up (bench/README.md).
    RootModule             = if ($PSEdition -eq 'Core') { 'net8.0/CommCare.PowerShell.dll' } else { 'netstandard2.0/CommCare.PowerShell.dll' }
    ModuleVersion          = '0.1.0'
    GUID                   = '6f0c9b1e-3c2a-4a8e-9d55-2b7f1c0e8a41'
    Author                 = 'CommCare for PowerShell contributors'
    CompanyName            = 'CommCare for PowerShell'
    Copyright              = '(c) CommCare for PowerShell contributors. MIT License.'
    Description            = 'The CommCare HQ web API as PowerShell cmdlets: typed objects, exact paging of cases and forms, throttling and retries that respect the server, secrets kept secret. Works in Windows PowerShell 5.1 and PowerShell 7+.'
    PowerShellVersion      = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    CompatiblePSEditions   = @('Desktop', 'Core')
    # Loaded before the types file: it names the models and their adapter (ObjectAdapter.cs).
    RequiredAssemblies     = if ($PSEdition -eq 'Core') { 'net8.0/CommCare.Models.dll', 'net8.0/CommCare.PowerShell.dll' } else { 'netstandard2.0/CommCare.Models.dll', 'netstandard2.0/CommCare.PowerShell.dll' }
    FormatsToProcess       = @('CommCare.format.ps1xml')
    TypesToProcess         = @('CommCare.types.ps1xml')
    CmdletsToExport        = @(
        'Connect-CCServer', 'Disconnect-CCServer', 'Get-CCSession', 'Set-CCSessionOption',
        'Get-CCCase', 'New-CCCase', 'Set-CCCase', 'Close-CCCase', 'Get-CCForm',
        'Send-CCFormSubmission', 'New-CCCaseUpdateForm', 'Save-CCFormAttachment', 'Save-CCCaseAttachment',
        'Import-CCCaseData', 'Get-CCCaseImport', 'Get-CCReport', 'Export-CCReport', 'Export-CCForm', 'Export-CCCase', 'ConvertTo-CCTable',
        'Get-CCLookupTable', 'Get-CCLookupTableItem', 'New-CCLookupTableItem', 'Set-CCLookupTableItem', 'Remove-CCLookupTableItem', 'Export-CCLookupTable', 'Import-CCLookupTable',
        'Get-CCApplication', 'Save-CCApplicationArchive', 'Get-CCMessagingEvent',
        'Get-CCDataSource', 'Get-CCDataSourceRow', 'Export-CCDataSource', 'Get-CCODataFeed',
        'Get-CCIdentity', 'Get-CCUserDomain', 'Test-CCCredential', 'ConvertFrom-CCForwardedPayload', 'Get-CCRestore',
        'Send-CCRegistrationInvitation', 'Send-CCInstallInfo', 'Get-CCExport', 'Save-CCExport', 'Get-CCDataForwarder',
        'Get-CCMobileWorker', 'New-CCMobileWorker', 'Set-CCMobileWorker', 'Remove-CCMobileWorker',
        'Enable-CCMobileWorker', 'Disable-CCMobileWorker', 'Send-CCMobileWorkerPasswordReset',
        'Import-CCMobileWorker', 'Export-CCMobileWorker',
        'Get-CCGroup', 'New-CCGroup', 'Set-CCGroup', 'Remove-CCGroup',
        'Get-CCLocation', 'Get-CCLocationType', 'New-CCLocation', 'Set-CCLocation',
        'Get-CCWebUser', 'Set-CCWebUser', 'New-CCWebUserInvitation',
        'Invoke-CCRestMethod'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('CommCare', 'CommCareHQ', 'Dimagi', 'REST', 'API', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'Foundation: sessions, throttled and retried HTTP pipeline, exact paging of cases and forms.'
        }
    }
}
