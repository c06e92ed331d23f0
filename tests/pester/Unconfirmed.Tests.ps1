# Where CommCare's behaviour is unconfirmed (docs/commcare-api.md, "Unconfirmed behaviour"), the emulator can be
# switched to the other reading: each test runs the module against both and checks that nothing is lost,
# duplicated or silently skipped.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    $script:owner = (Get-CCMobileWorker -UserName worker1).Id

    function script:Get-CasesByExternalId([string] $Like) {
        @(Get-CCCase -ApiVersion 2 -PageSize 5000 | Where-Object { $_.ExternalId -like $Like })
    }
    function script:Get-Uploads { @(Get-EmuRequests $url | Where-Object { $_.path -like '*bulk_upload_api*' }) }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Import-CCCaseData: rows several cases match (result field spelled <Field>)' -ForEach @(
    @{ Field = 'too_many_matches'; Expect = '*Too many matches*1 row(s) matched more than one case*skipped*' }
    @{ Field = 'multiple_matches'; Expect = '*Too many matches*1 row(s) matched more than one case*skipped*' }
    @{ Field = 'skipped_duplicates'; Expect = "*Unrecognised result field*skipped_duplicates*may not have been imported*" }
    @{ Field = $null; Expect = '*Rows not accounted for*1 of 2 row(s)*' }
) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ tooManyMatchesField = $Field } | Out-Null
        # Two cases with one external id (made by a case_id import, which does not match on it).
        @([pscustomobject]@{ name = 'Twin A'; external_id = 'TWIN-1'; owner_id = $owner }, [pscustomobject]@{ name = 'Twin B'; external_id = 'TWIN-1'; owner_id = $owner }) |
            Import-CCCaseData -CaseType patient -CreateNewCases -WarningAction SilentlyContinue | Out-Null
    }

    It 'the skipped row is an error, never a clean success; the twins are untouched and the other row is imported once' {
        $rows = [pscustomobject]@{ name = 'Changed'; external_id = 'TWIN-1'; owner_id = $owner }, [pscustomobject]@{ name = 'Single'; external_id = 'SINGLE-1'; owner_id = $owner }
        $import = $rows | Import-CCCaseData -CaseType patient -SearchField external_id -CreateNewCases -ErrorVariable ev -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $import.State | Should -Be 'Completed'
        $import.CreatedCount | Should -Be 1
        $ev.Count | Should -BeGreaterThan 0
        ($ev.Exception.Message -join "`n") | Should -BeLike $Expect
        @(Get-CasesByExternalId 'TWIN-1').Name | Sort-Object | Should -Be @('Twin A', 'Twin B')
        @(Get-CasesByExternalId 'SINGLE-1').Count | Should -Be 1
    }
}

Describe 'Import-CCCaseData: blank external ids (a blank id creates a case: <Creates>)' -ForEach @(@{ Creates = $false }, @{ Creates = $true }) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ blankExternalIdCreates = $Creates } | Out-Null
        $script:rows = [pscustomobject]@{ name = 'Has id'; external_id = 'BLANK-1'; owner_id = $owner }, [pscustomobject]@{ name = 'No id'; external_id = ''; owner_id = $owner }
    }

    It 'rows with a blank external id are refused before anything is sent, naming the rows and the switch' {
        { $rows | Import-CCCaseData -CaseType patient -SearchField external_id -CreateNewCases } |
            Should -Throw '*-InputObject*1 row(s) have a blank external id*external_id*sheet rows 3*-CreateCaseForBlankExternalId*'
        $file = Join-Path ([IO.Path]::GetTempPath()) ("cc-blank-" + [guid]::NewGuid() + '.xlsx')
        New-TestXlsx $file @(@('name', 'external_id'), @('Has id', 'BLANK-1'), @('Gap', ''), @('No id', ' '))
        { Import-CCCaseData -Path $file -CaseType patient -SearchField external_id -CreateNewCases } | Should -Throw '*-Path*2 row(s)*sheet rows 3, 4*'
        Remove-Item $file
        { $rows | Import-CCCaseData -CaseType patient -SearchField external_id -CreateCaseForBlankExternalId } | Should -Throw '*-CreateCaseForBlankExternalId*needs -CreateNewCases*'
        (Get-Uploads).Count | Should -Be 0
    }

    It 'with -CreateCaseForBlankExternalId every row is accounted for: created, or reported as a row error' {
        $import = $rows | Import-CCCaseData -CaseType patient -SearchField external_id -CreateNewCases -CreateCaseForBlankExternalId -ErrorVariable ev -ErrorAction SilentlyContinue -WarningVariable warn -WarningAction SilentlyContinue
        ($warn -join "`n") | Should -BeLike '*blank external id*sheet rows 3*again*'
        @(Get-CasesByExternalId 'BLANK-1').Count | Should -Be 1
        if ($Creates) {
            $import.CreatedCount | Should -Be 2
            $ev.Count | Should -Be 0
        }
        else {
            $import.CreatedCount | Should -Be 1
            $ev.Count | Should -Be 1
            $ev[0].Exception.Message | Should -BeLike '*Blank External Id*rows 3*'
        }
    }
}

Describe 'Lookup-table workbooks (CommCare''s download spells the row id <UidHeader>)' -ForEach @(@{ UidHeader = 'UID' }, @{ UidHeader = 'uid' }) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ lookupUidHeader = $UidHeader } | Out-Null
        $script:before = @(Get-CCLookupTableItem -Table facilities)
        $script:file = Join-Path ([IO.Path]::GetTempPath()) ("cc-lookup-" + [guid]::NewGuid() + '.xlsx')
    }
    AfterEach { Remove-Item $file -ErrorAction SilentlyContinue }

    It 'a workbook from CommCare''s own download re-uploads without -Replace adding no row, or is refused naming the column' {
        $t = Get-CCLookupTable facilities
        Invoke-WebRequest "$url/a/demo/fixtures/edit_lookup_tables/download/?table_id=$($t.Id)" -Headers @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" } -OutFile $file
        $result = Import-CCLookupTable -Path $file -ErrorVariable ev -ErrorAction SilentlyContinue
        $after = @(Get-CCLookupTableItem -Table facilities)
        (($after.Id | Sort-Object) -join ',') | Should -Be (($before.Id | Sort-Object) -join ',')
        $posts = @(Get-EmuRequests $url | Where-Object { $_.path -like '*fixapi/*' -and $_.method -eq 'POST' })
        if ($UidHeader -ceq 'UID') {
            $ev.Count | Should -Be 0
            $result.Complete | Should -BeTrue
            $posts.Count | Should -Be 1
        }
        else {
            $result | Should -BeNullOrEmpty
            $ev.Count | Should -Be 1
            $ev[0].Exception.Message | Should -BeLike "*-Path*sheet 'facilities'*'uid'*row id*named exactly 'UID'*Nothing was uploaded*"
            $posts.Count | Should -Be 0
        }
    }

    It 'Export-CCLookupTable writes the headers CommCare reads, and its workbook re-uploads without -Replace adding no row' {
        Export-CCLookupTable -Table facilities -Path $file | Out-Null
        $result = Import-CCLookupTable -Path $file -WarningVariable warn -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 0
        $warn.Count | Should -Be 0
        $result.Complete | Should -BeTrue
        $after = @(Get-CCLookupTableItem -Table facilities)
        (($after.Id | Sort-Object) -join ',') | Should -Be (($before.Id | Sort-Object) -join ',')
    }
}

Describe 'Lookup-table workbooks checked before upload' {
    BeforeEach { Reset-Emu $url; $script:file = Join-Path ([IO.Path]::GetTempPath()) ("cc-lookup-" + [guid]::NewGuid() + '.xlsx') }
    AfterEach { Remove-Item $file -ErrorAction SilentlyContinue }

    It 'a delete column spelled otherwise is refused, naming it; a sheet without UID is warned about (rows would be added)' {
        New-TestXlsx $file @(@('UID', 'field: name', 'Delete (y/n)'), @('', 'Clinic', 'Y')) -Sheet 'extra'
        Import-CCLookupTable -Path $file -ErrorVariable ev -ErrorAction SilentlyContinue | Out-Null
        $ev[0].Exception.Message | Should -BeLike "*sheet 'extra'*'Delete (y/n)'*delete flag*'Delete(Y/N)'*Nothing was uploaded*"
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*fixapi/*' -and $_.method -eq 'POST' }).Count | Should -Be 0
        New-TestXlsx $file @(@('field: name'), @('Clinic')) -Sheet 'extra'
        Import-CCLookupTable -Path $file -WarningVariable warn -WarningAction SilentlyContinue -ErrorAction SilentlyContinue | Out-Null
        ($warn -join "`n") | Should -BeLike "*sheet 'extra' has no 'UID' column*added as a new row*-Replace*"
    }
}

Describe 'ConvertFrom-CCForwardedPayload (case forwards carry only the changed properties: <ChangesOnly>)' -ForEach @(@{ ChangesOnly = $false }, @{ ChangesOnly = $true }) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ caseForwardChangesOnly = $ChangesOnly } | Out-Null
        $script:case = Get-CCCase -Closed:$false -First 1
    }

    It 'a <Format> forward is marked IsPartial exactly when it may lack properties, and never invents a value' -ForEach @(@{ Format = 'case-json' }, @{ Format = 'case-xml' }) {
        $body = (Invoke-WebRequest "$url/_emulator/forwarding-payload?format=$Format&id=$($case.Id)").Content
        $c = ConvertFrom-CCForwardedPayload -Body $body
        $c.Id | Should -Be $case.Id
        $c.IsPartial | Should -Be $ChangesOnly
        foreach ($k in $c.Properties.Keys) { [string]$c.Properties[$k] | Should -Be ([string]$case.Properties[$k]) -Because "property $k" }
        $missing = @($case.Properties.Keys | Where-Object { -not $c.Properties.ContainsKey($_) })
        if ($ChangesOnly) { $missing.Count | Should -BeGreaterThan 0 -Because 'a partial payload lacks properties the case has: they are unknown, not blank' }
        else { $c.CaseType | Should -Be $case.CaseType; $c.OwnerId | Should -Be $case.OwnerId }
    }
}

Describe 'Case API v2 reads (system fields repeated inside properties: <SystemKeys>)' -ForEach @(@{ SystemKeys = $false }, @{ SystemKeys = $true }) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ caseV2SystemProperties = $SystemKeys } | Out-Null
        $script:v1 = Get-CCCase -Closed:$false -First 1
    }

    It 'a case reads the same either way, and its Properties can be written to another case without a system field' {
        $raw = Invoke-RestMethod "$url/a/demo/api/case/v2/$($v1.Id)" -Headers @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" }
        $raw.properties.PSObject.Properties.Name -contains 'owner_id' | Should -Be $SystemKeys
        $c = Get-CCCase -ApiVersion 2 -Id $v1.Id
        $c.Name | Should -Be $v1.Name
        $c.OwnerId | Should -Be $v1.OwnerId
        $c.CaseType | Should -Be $v1.CaseType
        foreach ($k in 'case_name', 'case_type', 'owner_id', 'external_id', 'date_opened') { $c.Properties.Keys | Should -Not -Contain $k }
        foreach ($k in $v1.Properties.Keys) { [string]$c.Properties[$k] | Should -Be ([string]$v1.Properties[$k]) -Because "property $k" }
        $copy = New-CCCase -CaseType $c.CaseType -Name 'Copy' -OwnerId $c.OwnerId -Property ([hashtable]$c.Properties) -ErrorAction Stop
        $copy.OwnerId | Should -Be $c.OwnerId
    }
}

Describe 'Test-CCCredential for a deactivated worker (CommCare''s answer names no user: <NoUser>)' -ForEach @(@{ NoUser = $false }, @{ NoUser = $true }) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'directory/reset' | Out-Null
        Invoke-Emu $url 'config' -Body @{ ssoDeactivatedNoUser = $NoUser } | Out-Null
        $script:w = Get-CCMobileWorker -UserName worker2
        $w | Disable-CCMobileWorker
    }
    AfterEach { Invoke-Emu $url 'directory/reset' | Out-Null }

    It 'the credentials count as valid only when CommCare names the user' {
        $r = Test-CCCredential -UserName worker2 -Password 'emu-worker2-password' -ErrorVariable ev -ErrorAction SilentlyContinue
        if ($NoUser) {
            $r.Valid | Should -Not -BeTrue
            $ev[0].Exception.Message | Should -BeLike '*named no user*not confirmed*'
        }
        else {
            $ev.Count | Should -Be 0
            $r.Valid | Should -BeTrue
            $r.UserId | Should -Be $w.Id
        }
    }
}

Describe 'Get-CCCase | Set-CCCase sends only what was asked (system fields in properties: <SystemKeys>)' -ForEach @(@{ SystemKeys = $false }, @{ SystemKeys = $true }) {
    BeforeEach {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ caseV2SystemProperties = $SystemKeys } | Out-Null
    }

    It 'a property another writer changed after the read keeps its value; the request carries owner_id only' {
        $owner = (Get-CCMobileWorker -UserName worker1).Id
        $made = New-CCCase -CaseType patient -Name 'Stale read' -OwnerId $owner -Property @{ village = 'Kisumu'; age = '40' }
        $stale = Get-CCCase -ApiVersion 2 -Id $made.Id
        Set-CCCase -CaseId $made.Id -Property @{ village = 'Other writer' }
        $new = (Get-CCMobileWorker -UserName worker2).Id
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        $stale | Set-CCCase -OwnerId $new
        $after = Get-CCCase -ApiVersion 2 -Id $made.Id
        $after.village | Should -Be 'Other writer'
        $after.age | Should -Be '40'
        $after.OwnerId | Should -Be $new
        $write = @(Get-EmuRequests $url | Where-Object { $_.method -in 'POST', 'PUT' -and $_.path -notlike '*bulk-fetch*' })
        $write.Count | Should -Be 1
        $sent = @($write[0].body | ConvertFrom-Json)
        $sent[0].PSObject.Properties.Name | Sort-Object | Should -Be @('case_id', 'create', 'owner_id')
    }

    It 'a CSV of the case piped back unchanged sends no write' {
        $c = Get-CCCase -ApiVersion 2 -Closed:$false -First 1
        $csv = $c | ConvertTo-Csv
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        $csv | ConvertFrom-Csv | Set-CCCase
        @(Get-EmuRequests $url | Where-Object { $_.method -in 'POST', 'PUT' -and $_.path -notlike '*bulk-fetch*' }).Count | Should -Be 0
    }
}

Describe 'Retiring a worker says what else may go (U51)' {
    BeforeEach { Reset-Emu $url }

    It 'the confirmation and -WhatIf name the forms and cases, and point to Disable-CCMobileWorker' {
        # -WhatIf writes to the host: read it from a child pwsh's output.
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
Connect-CCServer -Server '$url' -Domain demo -UserName '$AdminUser' -ApiKey (ConvertTo-SecureString '$AdminKey' -AsPlainText -Force) -SkipValidation
Remove-CCMobileWorker -UserName worker3 -WhatIf
"@
        $out = $r.Output -join ' '
        $out | Should -Match 'What if: .*Retire mobile worker'
        $out | Should -Match 'forms and cases as deleted'
        $out | Should -Match 'Disable-CCMobileWorker'
        (Get-CCMobileWorker -UserName worker3).IsActive | Should -BeTrue
        (Get-Help Remove-CCMobileWorker).Description.Text | Should -Match 'forms and cases'
    }
}
