# What Examples.Tests.ps1 gives the help examples so each one runs as printed against the emulator.
# Reviewed by hand: every entry says what it stands in for. A cmdlet without an entry still has its
# examples run, with the shared names below.

# Text replaced in an example before it runs: the examples show CommCare HQ, the test uses the emulator.
$script:ExampleSubstitutions = @(
    @{ Find = '-Server www'; Replace = '-Server $EmulatorUrl'; Why = 'CommCare HQ''s name stands for the emulator''s URL' }
    @{ Find = 'https://www.commcarehq.org'; Replace = '$EmulatorUrl'; Why = 'CommCare HQ''s URL stands for the emulator''s' }
)

# Examples whose remark says they end in an error: the test asserts exactly that error.
$script:ExampleExpectedErrors = @{
    'Disconnect-CCServer 2' = 'CommCare.NotConnected'   # "After disconnecting, cmdlets say 'not connected'"
}

# Names every example may use, worked out once from the emulator's seeded data (a reset restores it).
$script:NewExampleVariables = {
    param([string] $Url)
    $worker = Get-CCMobileWorker -UserName worker1
    $other = Get-CCMobileWorker -UserName worker2
    $patient = Get-CCCase -CaseType patient -Closed:$false -First 1
    @{
        owner = $worker.Id                                       # a case owner: a mobile worker's id
        old = $patient.OwnerId; new = $other.Id                  # owners to move cases between
        case = $patient
        household = Get-CCCase -CaseType household -First 1
        district = Get-CCLocation -LocationType district | Select-Object -First 1
        g = Get-CCGroup -Name 'North Team'
        ids = @($worker.Id, $other.Id)
        u = Get-CCWebUser -Email viewer@example.com
        app = (Get-CCApplication -Name 'Household Survey').Id
        ds = (Get-CCDataSource | Select-Object -First 1).id
        config = (Get-CCExport | Where-Object Type -eq case | Select-Object -First 1).Id
        xmlns = 'http://openrosa.org/formdesigner/FOLLOWUP'
        rowId = (Get-CCLookupTableItem -Table facilities | Select-Object -First 1).Id
        cred = [pscredential]::new('admin@example.com', (ConvertTo-SecureString 'emu-admin-key-0001' -AsPlainText -Force))
        plainTextPassword = 'Example-Pass-2026'
    }
}

# Per cmdlet ('Name') or per example ('Name N'), dot-sourced before the example runs in its folder (after the
# reset): what "$id" means there, and the records the example needs. $ExampleFiles is the folder of input files.
$script:ExampleSetup = @{
    'Set-CCCase' = { $id = $case.Id }
    'Close-CCCase' = { $id = $case.Id }
    'New-CCCaseUpdateForm' = { $id = $case.Id }
    'Send-CCFormSubmission' = { $id = $case.Id }
    'Get-CCCase 5' = { $household = Get-CCCase -Id 00809bb1-1b4e-4154-9ab9-a897e1494a5d }
    'Set-CCLocation' = { $id = $district.Id }
    'Export-CCReport' = { $id = (Get-CCReport -Title 'Household Visits (500)').Id }
    'Get-CCExport' = { $id = $config }
    'Save-CCExport' = { $id = $config }
    'Set-CCGroup' = { $id = $g.Id }
    'Remove-CCGroup' = { $id = (New-CCGroup -Name 'Old group').Id }
    'Remove-CCMobileWorker' = { New-CCMobileWorker -UserName old.worker -Password 'Old-Worker-Pass-1' | Out-Null }
    'Get-CCGroup 2' = { New-CCGroup -Name 'District 4' -UserId $ids | Out-Null }
    'Set-CCGroup 1' = { New-CCGroup -Name 'District 4' | Out-Null }
    'Disable-CCMobileWorker 1' = { New-CCMobileWorker -UserName jdoe -Password 'Jdoe-Pass-2026' -Email jdoe@example.org | Out-Null }
    'Send-CCMobileWorkerPasswordReset 1' = { New-CCMobileWorker -UserName jdoe -Password 'Jdoe-Pass-2026' -Email jdoe@example.org | Out-Null }
    'Get-CCCaseImport 2' = { $url = (Import-CCCaseData -Path (Join-Path $ExampleFiles 'cases.xlsx') -CaseType patient -SearchField external_id -CreateNewCases -NoWait).StatusUrl }
    # A file in HQ's own bulk-upload columns, as its remark says.
    'Import-CCMobileWorker' = { Set-Content workers.csv "username,password,name`nexample.three,Example-Pass-33,Example Three" }
    # The emulator's seeded OData feeds (on HQ the id is in the feed's URL).
    'Get-CCODataFeed 1' = { $config = '3b9f1c2e7d4a4e8f9a0b1c2d3e4f5a61' }
    'Get-CCODataFeed 2' = { $config = '3b9f1c2e7d4a4e8f9a0b1c2d3e4f5a62' }
    # "Into the folder ...": the folder exists (the cmdlets ask for it to be created first).
    'Export-CCCase 2' = { New-Item -ItemType Directory cases | Out-Null }
    'Export-CCForm 2' = { $app = Get-CCApplication -Name 'Household Survey'; New-Item -ItemType Directory exports | Out-Null }
    'Get-CCIdentity 2' = { $s = Connect-TestServer $EmulatorUrl }
    'Set-CCSessionOption 2' = { $s = Connect-TestServer $EmulatorUrl }
    'Get-CCRestore' = { $r = Get-CCRestore -AsUser worker1 }
    'Save-CCFormAttachment' = {
        $f = (Get-CCForm -Xmlns $xmlns -First 1).Id
        Invoke-Emu $EmulatorUrl 'attachments' -Body @{ domain = 'demo'; formId = $f; name = 'photo.jpg'; size = 2048; contentType = 'image/jpeg' } | Out-Null
    }
    'Save-CCCaseAttachment' = {
        $id = $case.Id
        foreach ($c in @(Get-CCCase -CaseType patient)) {
            foreach ($n in 'photo.jpg', 'consent.pdf') { Invoke-Emu $EmulatorUrl 'attachments' -Body @{ domain = 'demo'; caseId = $c.Id; name = $n; size = 1024; contentType = 'application/octet-stream' } | Out-Null }
        }
    }
    'ConvertFrom-CCForwardedPayload' = {
        # What Azure Automation passes a webhook runbook: the body and headers CommCare posted.
        $p = Invoke-RestMethod "$EmulatorUrl/_emulator/forwarding-payload?format=form-xml&id=$((Get-CCForm -First 1).Id)" -ResponseHeadersVariable h
        $WebhookData = [pscustomobject]@{ WebhookName = 'commcare'; RequestBody = $p.OuterXml; RequestHeader = [pscustomobject]@{ 'Received-On' = "$($h['Received-On'])" } }
    }
}

# The files the examples read, made once; each example gets a fresh copy of those its code names.
$script:NewExampleFiles = {
    param([string] $Dir, [hashtable] $V)
    function Write-Text([string] $Name, [string] $Text) { $p = Join-Path $Dir $Name; New-Item -ItemType Directory -Force (Split-Path $p) | Out-Null; [IO.File]::WriteAllText($p, $Text) }
    function Get-FormXml([string] $InstanceId) {
        @"
<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://example.org/visit" name="Visit" uiVersion="1" version="1">
  <weight>12.5</weight>
  <photo>photo.jpg</photo>
  <n0:meta xmlns:n0="http://openrosa.org/jr/xforms">
    <n0:deviceID>example</n0:deviceID>
    <n0:timeStart>2026-01-01T10:00:00.000000Z</n0:timeStart>
    <n0:timeEnd>2026-01-01T10:05:00.000000Z</n0:timeEnd>
    <n0:username>worker1</n0:username>
    <n0:userID>$($V.owner)</n0:userID>
    <n0:instanceID>$InstanceId</n0:instanceID>
  </n0:meta>
</data>
"@
    }
    Write-Text 'patients.csv' "name,pid,age`nMattie Ross,P-101,43`nRooster Cogburn,P-102,61`n"
    Write-Text 'cases.csv' "external_id,name,age`nP-201,Ann Stone,30`nP-202,Clara Holt,41`n"
    Write-Text 'workers.csv' "username,password,first_name,last_name`nexample.one,Example-Pass-11,Example,One`nexample.two,Example-Pass-22,Example,Two`n"
    Write-Text 'clinics.csv' "name,location_type_code,parent_location_id,site_code,latitude,longitude`nClinic 8,clinic,$($V.district.Id),clinic_8,-0.10,34.75`n"
    Write-Text 'phones.csv' "phone`n+254700000101`n+254700000102`n"
    Write-Text 'leavers.csv' "username`nworker2`n"
    Write-Text 'invites.csv' "email,role,assigned_location_ids`nnew.person@example.org,Field Worker,$($V.district.Id)`n"
    Write-Text 'groups.csv' "name,case_sharing,users`nWest Team,True,$($V.owner)`n"
    Write-Text 'new-facilities.csv' "name,level`nMigori HC,2`n"
    Write-Text 'visit.xml' (Get-FormXml ([guid]::NewGuid()))
    Write-Text 'outbox/a.xml' (Get-FormXml ([guid]::NewGuid()))
    Write-Text 'outbox/b.xml' (Get-FormXml ([guid]::NewGuid()))
    [IO.File]::WriteAllBytes((Join-Path $Dir 'photo.jpg'), [byte[]](0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0xFF, 0xD9))
    $formId = (Get-CCForm -First 1).Id
    Write-Text 'payload.xml' (Invoke-RestMethod "$EmulatorUrl/_emulator/forwarding-payload?format=form-xml&id=$formId").OuterXml
    New-TestXlsx (Join-Path $Dir 'cases.xlsx') (@(, @('external_id', 'name', 'age')) + @(, @('P-301', 'Lily Ross', '7')))
    New-TestXlsx (Join-Path $Dir 'big.xlsx') (@(, @('external_id', 'name', 'age')) + @(1..50 | ForEach-Object { , @("P-4$_", "Case $_", "$_") }))
    # Files CommCare itself would have given the user: written by the module from the emulator's data.
    Export-CCLookupTable -Table facilities -Path (Join-Path $Dir 'facilities.xlsx') | Out-Null
    Export-CCMobileWorker -Path (Join-Path $Dir 'workers-from-hq.xlsx') | Out-Null
}
