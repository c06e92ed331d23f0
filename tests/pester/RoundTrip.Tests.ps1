BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ("cc-roundtrip-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $work | Out-Null

    # Only the log: the data stays as the test made it.
    function Clear-EmuLog { Start-Sleep -Milliseconds 50; Invoke-Emu $url 'requests' -Method DELETE | Out-Null }
    function Get-Writes { @(Get-EmuRequests $url | Where-Object { $_.method -in 'POST', 'PUT', 'PATCH', 'DELETE' }) }
    # The server's own view of a list, as JSON text: what "byte-for-byte unchanged" is checked against.
    # Read with Invoke-RestMethod, independent of the module, following meta.next.
    function Get-Raw([string] $Path, [string] $Query = '') {
        $headers = @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" }
        $next = "$url/a/demo/api/$Path" + "?limit=1000&$Query"
        while ($next) {
            $r = Invoke-RestMethod -Uri $next -Headers $headers
            foreach ($o in $r.objects) { $o }
            $next = if ($r.meta.next) { [Uri]::new([Uri]$next, [string]$r.meta.next).AbsoluteUri } else { $null }
        }
    }
    function Get-RawText([string] $Path) { (@(Get-Raw $Path) | ConvertTo-Json -Depth 10 -Compress) }
    function Get-RawCases([string] $CaseType) { @(Get-Raw 'case/v1/' "type=$CaseType") | Sort-Object case_id }
}
AfterAll {
    Stop-TestEmulator $emu
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'What Export-Csv writes' {
    BeforeAll { Reset-Emu $url }

    It 'writes every list as ;-separated text, every date as UTC ISO 8601 whatever the culture, and no type names' {
        $old = [cultureinfo]::CurrentCulture
        try {
            [cultureinfo]::CurrentCulture = 'de-DE'
            $csv = @(
                Get-CCMobileWorker | ConvertTo-Csv
                Get-CCCase -First 20 | ConvertTo-Csv
                Get-CCForm -First 5 | ConvertTo-Csv
                Get-CCGroup | ConvertTo-Csv
                Get-CCLocation | ConvertTo-Csv
                Get-CCWebUser | ConvertTo-Csv
            ) -join "`n"
        }
        finally { [cultureinfo]::CurrentCulture = $old }
        $csv | Should -Not -Match 'System\.(Collections|Object|String)'
        $csv | Should -Not -Match 'CommCare\.Models\.'
        # A German date would read "07.12.2026 21:05:03"; a German decimal "-0,0236".
        $csv | Should -Not -Match '"\d\d\.\d\d\.\d{4}'
        $csv | Should -Not -Match '"-?\d+,\d+"'
        $csv | Should -Match '"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"'
    }

    It 'gives each value one column: no snake_case twin of a field' {
        $header = (Get-CCCase -First 1 | ConvertTo-Csv)[0] -split ','
        $header | Should -Contain '"Id"'
        $header | Should -Not -Contain '"case_id"'
        $header | Should -Not -Contain '"Properties"'
        ($header | Group-Object | Where-Object Count -gt 1) | Should -BeNullOrEmpty
        $w = (Get-CCMobileWorker -First 1 | ConvertTo-Csv)[0] -split ','
        $w | Should -Not -Contain '"user_id"'
        $w | Should -Not -Contain '"UserData"'
        $w | Should -Contain '"user_data.chw_id"'
    }

    It 'shows case properties as properties and keeps dates as [datetime] that read back as the same instant' {
        $c = Get-CCCase -CaseType patient -First 1
        $raw = Invoke-RestMethod -Uri "$url/a/demo/api/case/v1/$($c.Id)/" -Headers @{ Authorization = "ApiKey $($AdminUser):$($AdminKey)" }
        $c.district | Should -Be $raw.properties.district
        $c.Properties['district'] | Should -Be $raw.properties.district
        $c.IndexedOn | Should -BeOfType ([datetime])
        $c.IndexedOn.AddDays(1) | Should -BeGreaterThan $c.IndexedOn
        $old = [cultureinfo]::CurrentCulture
        try { [cultureinfo]::CurrentCulture = 'de-DE'; $text = $c | ConvertTo-Csv }
        finally { [cultureinfo]::CurrentCulture = $old }
        [cultureinfo]::CurrentCulture = 'en-US'
        try { $back = $text | ConvertFrom-Csv } finally { [cultureinfo]::CurrentCulture = $old }
        ([datetime]$back.IndexedOn).ToUniversalTime() | Should -Be $c.IndexedOn.ToUniversalTime()
        ([datetime]$back.DateOpened).ToUniversalTime() | Should -Be $c.DateOpened.ToUniversalTime()
        $c.IndexedOn.ToString('yyyy') | Should -Be $c.IndexedOn.Year.ToString()
    }
}

Describe 'Mobile workers: Export-Csv, Import-Csv, Set-CCMobileWorker' {
    BeforeAll {
        Reset-Emu $url
        $script:loc = @(Get-CCLocation | Where-Object LocationType -in 'district', 'clinic')
        $rows = foreach ($i in 1..200) {
            [pscustomobject]@{
                username = 'rt.worker{0:d3}' -f $i; password = 'Rt-pass-{0:d3}!' -f $i; first_name = "Worker$i"; last_name = 'Round'
                language = 'en'; phone_numbers = ('+254 71{0:d4}111;+254-72{0:d4}222' -f $i)
                groups = 'North Team;South Team'; locations = "$($loc[$i % 2].SiteCode);$($loc[2].SiteCode)"
                'user_data.chw_id' = "CHW-$i"; 'user_data.district' = 'north'; 'user_data.cadre' = 'senior'
            }
        }
        $made = @($rows | New-CCMobileWorker -ErrorVariable ev -ErrorAction SilentlyContinue)
        $ev | Should -BeNullOrEmpty
        $made.Count | Should -Be 200
        $script:csv = Join-Path $work 'workers.csv'
    }

    It 'writes readable cells and a round trip changes nothing on the server' {
        $w = Get-CCMobileWorker -UserName rt.worker007
        $w.PhoneNumbers | Should -Be @('254710007111', '254720007222')   # normalised as CommCare stores them
        $w.Locations.Count | Should -Be 2
        $before = Get-RawText 'user/v1/'
        Get-CCMobileWorker | Export-Csv $csv -NoTypeInformation
        $row = Import-Csv $csv | Where-Object UserName -like 'rt.worker007@*'
        $row.PhoneNumbers | Should -Be '254710007111;254720007222'
        $row.Groups | Should -Be ($w.Groups -join ';')
        $row.'user_data.chw_id' | Should -Be 'CHW-7'
        Clear-EmuLog
        Import-Csv $csv | Set-CCMobileWorker -InformationVariable info
        @(Get-Writes).Count | Should -Be 0
        Get-RawText 'user/v1/' | Should -BeExactly $before
        "$info" | Should -Match '0 updated, \d+ unchanged, 0 failed'
    }

    It 'one language edited in the CSV changes exactly that field of that worker' {
        $before = @(Get-Raw 'user/v1/') | Sort-Object id
        $rows = Import-Csv $csv
        ($rows | Where-Object UserName -like 'rt.worker042@*').Language = 'sw'
        $rows | Export-Csv $csv -NoTypeInformation
        Clear-EmuLog
        Import-Csv $csv | Set-CCMobileWorker
        $writes = @(Get-Writes)
        $writes.Count | Should -Be 1
        $writes[0].method | Should -Be 'PUT'
        ($writes[0].body | ConvertFrom-Json -AsHashtable).Keys | Should -Be @('language')
        $after = @(Get-Raw 'user/v1/') | Sort-Object id
        $changed = for ($i = 0; $i -lt $after.Count; $i++) {
            if (($after[$i] | ConvertTo-Json -Depth 5 -Compress) -ne ($before[$i] | ConvertTo-Json -Depth 5 -Compress)) { $after[$i] }
        }
        @($changed).Count | Should -Be 1
        $changed.username | Should -BeLike 'rt.worker042@*'
        $changed.language | Should -Be 'sw'
    }

    It 'finds a worker by user name, short or full, for Set and the other worker cmdlets' {
        Set-CCMobileWorker -UserName rt.worker010 -Language fr
        (Get-CCMobileWorker -UserName rt.worker010).Language | Should -Be 'fr'
        Set-CCMobileWorker -UserName 'rt.worker010@demo.commcarehq.org' -Language en
        (Get-CCMobileWorker -UserName rt.worker010).Language | Should -Be 'en'
        Disable-CCMobileWorker -UserName rt.worker011
        (Get-CCMobileWorker -UserName rt.worker011).IsActive | Should -BeFalse
        Enable-CCMobileWorker -UserName rt.worker011
        (Get-CCMobileWorker -UserName rt.worker011).IsActive | Should -BeTrue
        Set-CCMobileWorker -UserName no.such.worker -Language fr -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.NotFound*'
    }

    It 'a piped worker gives only its identity: a field changed since it was read is not written back' {
        $stale = Get-CCMobileWorker -UserName rt.worker020
        Set-CCMobileWorker -UserName rt.worker020 -FirstName 'Changed Elsewhere'
        Clear-EmuLog
        $stale | Set-CCMobileWorker -Language fr
        $w = Get-CCMobileWorker -UserName rt.worker020
        $w.FirstName | Should -Be 'Changed Elsewhere'
        $w.Language | Should -Be 'fr'
        ((Get-Writes)[0].body | ConvertFrom-Json -AsHashtable).Keys | Should -Be @('language')
    }

    It '-WhatIf counts what would be updated and sends nothing' {
        $rows = Import-Csv $csv | Select-Object -First 10
        $rows[0].Language = 'fr'; $rows[1].Language = 'fr'
        Clear-EmuLog
        $rows | Set-CCMobileWorker -WhatIf -InformationVariable info
        @(Get-Writes).Count | Should -Be 0
        "$info" | Should -Match '2 would be updated, 8 unchanged'
    }
}

Describe 'Write cmdlets refuse values that would corrupt data' {
    BeforeEach { Reset-Emu $url }

    It 'a type name, a non-number and an unknown location are each a row error naming the column; nothing is sent for them' {
        $w = Get-CCMobileWorker -UserName worker1
        $path = Join-Path $work 'bad.csv'
        @(
            [pscustomobject]@{ Id = $w.Id; PhoneNumbers = 'System.Collections.Generic.List`1[System.String]'; Locations = '' }
            [pscustomobject]@{ Id = $w.Id; PhoneNumbers = 'not-a-phone'; Locations = '' }
            [pscustomobject]@{ Id = $w.Id; PhoneNumbers = ''; Locations = 'Atlantis' }
            [pscustomobject]@{ Id = $w.Id; PhoneNumbers = ''; Locations = 'System.Object[]' }
        ) | Export-Csv $path -NoTypeInformation
        Clear-EmuLog
        Import-Csv $path | Set-CCMobileWorker -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 4
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.TypeNameValue*'
        $ev[0].Exception.Message | Should -Match "column 'PhoneNumbers'"
        $ev[1].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.InvalidPhoneNumber*'
        $ev[1].Exception.Message | Should -Match "column 'PhoneNumbers'.*not-a-phone"
        $ev[2].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.UnknownLocation*'
        $ev[2].Exception.Message | Should -Match "column 'Locations'.*Atlantis"
        $ev[3].Exception.Message | Should -Match "column 'Locations'"
        @(Get-Writes).Count | Should -Be 0
        (Get-CCMobileWorker -UserName worker1).PhoneNumbers | Should -Be $w.PhoneNumbers
    }

    It 'New-CCMobileWorker -WhatIf reports the same errors, and an ambiguous location name says which ones' {
        New-CCLocation -Name 'Twin' -LocationType clinic -ParentId (Get-CCLocation -SiteCode north).Id -SiteCode twin_a | Out-Null
        New-CCLocation -Name 'Twin' -LocationType clinic -ParentId (Get-CCLocation -SiteCode south).Id -SiteCode twin_b | Out-Null
        Clear-EmuLog
        New-CCMobileWorker -UserName amb.one -Password 'Pass-123!' -Location Twin -PhoneNumber 'call me' -WhatIf -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].Exception.Message | Should -Match "-PhoneNumber: 'call me' is not a phone number"
        New-CCMobileWorker -UserName amb.two -Password 'Pass-123!' -Location Twin -WhatIf -ErrorVariable ev2 -ErrorAction SilentlyContinue
        $ev2[0].Exception.Message | Should -Match 'ambiguous.*twin_a, twin_b'
        $made = New-CCMobileWorker -UserName amb.three -Password 'Pass-123!' -Location twin_b
        $made.Locations | Should -Be @((Get-CCLocation -SiteCode twin_b).Id)
        @(Get-Writes | Where-Object path -like '*/user/*').Count | Should -Be 1
    }

    It 'columns that bind to nothing are named once per run, with the nearest parameter' {
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ username = "cols.$_"; password = 'Pass-123!'; 'phone-number' = '+254700000001'; 'data: chw_id' = "C$_" } }
        $rows | New-CCMobileWorker -WarningVariable warn -WarningAction SilentlyContinue | Out-Null
        $warn.Count | Should -Be 1
        "$warn" | Should -Match "'phone-number' \(did you mean -PhoneNumber"
        "$warn" | Should -Match "'data: chw_id' \(name it user_data.chw_id"
    }

    It 'a row error never carries the plaintext password' {
        [pscustomobject]@{ username = 'bad name!'; password = 'Secret-123!' } | New-CCMobileWorker -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].TargetObject.password | Should -Not -Be 'Secret-123!'
        ($ev[0].TargetObject | ConvertTo-Json) | Should -Not -Match 'Secret-123'
    }

    It '-SkipExisting lists the skipped user names in the information stream' {
        $rows = @([pscustomobject]@{ username = 'worker1'; password = 'Pass-123!' }, [pscustomobject]@{ username = 'skip.new'; password = 'Pass-123!' })
        $rows | New-CCMobileWorker -SkipExisting -InformationVariable info | Out-Null
        @($info | Where-Object { $_.Tags -contains 'CommCare.Skipped' }).MessageData | Should -Be @('Skipped (already exists): worker1@demo.commcarehq.org')
    }
}

Describe 'Cases: Export-Csv, Import-Csv, Set-CCCase' {
    BeforeAll {
        Reset-Emu $url
        $script:owner = (Get-CCMobileWorker -UserName worker1).Id
        $rows = foreach ($i in 1..500) {
            $p = [ordered]@{ name = "RT case $i"; external_id = "RT-$i" }
            foreach ($k in 1..10) { $p["prop$k"] = "value $i.$k" }
            [pscustomobject]$p
        }
        $made = @($rows | New-CCCase -CaseType rtcase -OwnerId $owner)
        $made.Count | Should -Be 500
        $script:caseCsv = Join-Path $work 'cases.csv'
    }

    It '500 cases with 10 properties each: a round trip changes nothing, one edited cell changes that property only' {
        $before = Get-RawCases rtcase | ConvertTo-Json -Depth 10 -Compress
        Get-CCCase -CaseType rtcase | Export-Csv $caseCsv -NoTypeInformation
        $header = (Get-Content $caseCsv -First 1) -split ','
        foreach ($k in 1..10) { $header | Should -Contain "`"prop$k`"" }
        Clear-EmuLog
        Import-Csv $caseCsv | Set-CCCase -InformationVariable info
        @(Get-Writes | Where-Object path -notlike '*bulk-fetch*').Count | Should -Be 0
        "$info" | Should -Match '0 updated, 500 unchanged, 0 failed'
        Get-RawCases rtcase | ConvertTo-Json -Depth 10 -Compress | Should -BeExactly $before

        $rows = Import-Csv $caseCsv
        $target = $rows | Where-Object ExternalId -eq 'RT-77'
        $target.prop3 = 'edited'
        $rows | Export-Csv $caseCsv -NoTypeInformation
        $beforeAll = Get-RawCases rtcase
        Clear-EmuLog
        Import-Csv $caseCsv | Set-CCCase
        $writes = @(Get-Writes | Where-Object path -notlike '*bulk-fetch*')
        $writes.Count | Should -Be 1
        $sent = @($writes[0].body | ConvertFrom-Json)
        $sent.Count | Should -Be 1
        $sent[0].properties.PSObject.Properties.Name | Should -Be @('prop3')
        $afterAll = Get-RawCases rtcase
        $diff = for ($i = 0; $i -lt $afterAll.Count; $i++) {
            foreach ($k in 1..10) { if ($afterAll[$i].properties."prop$k" -ne $beforeAll[$i].properties."prop$k") { "$($afterAll[$i].properties.external_id).prop$k" } }
        }
        @($diff) | Should -Be @('RT-77.prop3')
    }

    It 'Get-CCCase | Set-CCCase -OwnerId keeps what another writer changed since the read; only owner_id is sent' {
        $case = Get-CCCase -CaseType rtcase -ExternalId RT-5
        Set-CCCase -CaseId $case.Id -Property @{ prop1 = 'other writer' }
        $new = (Get-CCMobileWorker -UserName worker2).Id
        Clear-EmuLog
        $case | Set-CCCase -OwnerId $new
        $after = Get-CCCase -Id $case.Id
        $after.prop1 | Should -Be 'other writer'
        $after.OwnerId | Should -Be $new
        $sent = @((Get-Writes | Where-Object path -notlike '*bulk-fetch*')[0].body | ConvertFrom-Json)
        $sent[0].owner_id | Should -Be $new
        $sent[0].PSObject.Properties.Name | Should -Not -Contain 'properties'
        $sent[0].PSObject.Properties.Name | Should -Not -Contain 'case_name'
    }

    It 'a piped case without an external id binds' {
        $c = New-CCCase -CaseType rtcase -Name 'No external id' -OwnerId $owner
        { Get-CCCase -Id $c.Id | Set-CCCase -Property @{ prop1 = 'x' } -ErrorAction Stop } | Should -Not -Throw
        (Get-CCCase -Id $c.Id).prop1 | Should -Be 'x'
    }

    It 'indices print as the text -Index takes back' {
        $parent = New-CCCase -CaseType household -Name 'RT household' -OwnerId $owner
        $child = New-CCCase -CaseType rtcase -Name 'RT child' -OwnerId $owner -Index @{ parent = $parent }
        $row = Get-CCCase -Id $child.Id | ConvertTo-Csv | ConvertFrom-Csv
        $row.Indices | Should -Be "parent:household:$($parent.Id)"
        $other = New-CCCase -CaseType household -Name 'RT household 2' -OwnerId $owner
        $row.Indices = "parent:household:$($other.Id)"
        $row | Set-CCCase
        (Get-CCCase -Id $child.Id).Indices['parent'].CaseId | Should -Be $other.Id
    }
}

Describe 'Groups and locations: Export-Csv, Import-Csv, Set-X' {
    BeforeEach { Reset-Emu $url }

    It 'a group round trip changes nothing; one edited cell changes that field' {
        Set-CCGroup -Id (Get-CCGroup -Name 'North Team').Id -Metadata @{ region = 'north'; code = '7' }
        $path = Join-Path $work 'groups.csv'
        $before = Get-RawText 'group/v1/'
        Get-CCGroup | Export-Csv $path -NoTypeInformation
        (Import-Csv $path | Where-Object Name -eq 'North Team').'metadata.region' | Should -Be 'north'
        Clear-EmuLog
        Import-Csv $path | Set-CCGroup
        @(Get-Writes).Count | Should -Be 0
        Get-RawText 'group/v1/' | Should -BeExactly $before
        $rows = Import-Csv $path
        ($rows | Where-Object Name -eq 'Supervisors').CaseSharing | Should -Be 'False'
        ($rows | Where-Object Name -eq 'North Team').'metadata.region' = 'north-east'
        $rows | Export-Csv $path -NoTypeInformation
        Clear-EmuLog
        Import-Csv $path | Set-CCGroup
        $writes = @(Get-Writes)
        $writes.Count | Should -Be 1
        ($writes[0].body | ConvertFrom-Json -AsHashtable).Keys | Should -Be @('metadata')
        (Get-CCGroup -Name 'North Team').Metadata['region'] | Should -Be 'north-east'
        (Get-CCGroup -Name 'North Team').Metadata['code'] | Should -Be '7'
        (Get-CCGroup -Name 'Supervisors').CaseSharing | Should -BeFalse
    }

    It 'a location round trip changes nothing; one edited cell changes that field' {
        Set-CCLocation -Id (Get-CCLocation -SiteCode north).Id -Property @{ region = 'rift' }
        $path = Join-Path $work 'locations.csv'
        $before = Get-RawText 'location/v2/'
        $old = [cultureinfo]::CurrentCulture
        try { [cultureinfo]::CurrentCulture = 'de-DE'; Get-CCLocation | Export-Csv $path -NoTypeInformation }
        finally { [cultureinfo]::CurrentCulture = $old }
        Clear-EmuLog
        Import-Csv $path | Set-CCLocation
        @(Get-Writes).Count | Should -Be 0
        Get-RawText 'location/v2/' | Should -BeExactly $before
        $rows = Import-Csv $path
        ($rows | Where-Object SiteCode -eq 'south').Name = 'South District (renamed)'
        $rows | Export-Csv $path -NoTypeInformation
        Clear-EmuLog
        Import-Csv $path | Set-CCLocation
        $writes = @(Get-Writes)
        $writes.Count | Should -Be 1
        $body = $writes[0].body | ConvertFrom-Json -AsHashtable
        $body['name'] | Should -Be 'South District (renamed)'
        # A rename carries the site code it already has, so that the server does not make a new one from the name.
        $body.Keys | Where-Object { $_ -notin 'name', 'site_code' } | Should -BeNullOrEmpty
        $body['site_code'] | Should -Be 'south'
        (Get-CCLocation -SiteCode south).Name | Should -Be 'South District (renamed)'
        (Get-CCLocation -SiteCode north).LocationData['region'] | Should -Be 'rift'
    }
}

Describe 'Web users and lookup table rows: Export-Csv, Import-Csv, Set-X' {
    BeforeEach { Reset-Emu $url }

    It 'a web user round trip changes nothing; one edited cell changes that field' {
        $u = @(Get-CCWebUser)[0]
        Set-CCWebUser -Id $u.Id -UserData @{ team = 'alpha'; desk = '4' }
        $path = Join-Path $work 'webusers.csv'
        Get-CCWebUser | Export-Csv $path -NoTypeInformation
        (Import-Csv $path | Where-Object Id -eq $u.Id).'user_data.team' | Should -Be 'alpha'
        Clear-EmuLog
        Import-Csv $path | Set-CCWebUser
        @(Get-Writes).Count | Should -Be 0
        $rows = Import-Csv $path
        ($rows | Where-Object Id -eq $u.Id).'user_data.team' = 'beta'
        $rows | Export-Csv $path -NoTypeInformation
        Clear-EmuLog
        Import-Csv $path | Set-CCWebUser
        $writes = @(Get-Writes)
        $writes.Count | Should -Be 1
        $body = $writes[0].body | ConvertFrom-Json -AsHashtable
        $body.Keys | Should -Be @('user_data')
        $body.user_data.Keys | Should -Be @('team')
        $after = Get-CCWebUser | Where-Object Id -eq $u.Id
        $after.UserData['team'] | Should -Be 'beta'
        $after.UserData['desk'] | Should -Be '4'
    }

    It 'a lookup table round trip changes nothing; one edited cell changes that row only' {
        $table = @(Get-CCLookupTable)[0].Tag
        $path = Join-Path $work 'lookup.csv'
        $before = @(Get-CCLookupTableItem -Table $table)
        $before | Export-Csv $path -NoTypeInformation
        $field = @($before[0].Fields.Keys)[0]
        (Import-Csv $path)[0]."field.$field" | Should -Be $before[0].Fields[$field]
        Clear-EmuLog
        Import-Csv $path | Set-CCLookupTableItem
        @(Get-Writes).Count | Should -Be 0
        $rows = Import-Csv $path
        $plain = $rows | Where-Object { $id = $_.Id; -not ($before | Where-Object { $_.Id -eq $id -and ($_.FieldValues.Values | Where-Object { $_.Count -gt 1 -or ($_ | Where-Object { $_.Properties.Count }) }) }) } | Select-Object -First 1
        $plain."field.$field" = 'edited value'
        $rows | Export-Csv $path -NoTypeInformation
        Clear-EmuLog
        Import-Csv $path | Set-CCLookupTableItem | Out-Null
        @(Get-Writes).Count | Should -Be 1
        $after = @(Get-CCLookupTableItem -Table $table)
        ($after | Where-Object Id -eq $plain.Id).Fields[$field] | Should -Be 'edited value'
        foreach ($b in $before | Where-Object Id -ne $plain.Id) {
            (($after | Where-Object Id -eq $b.Id).Fields | ConvertTo-Json -Compress) | Should -Be ($b.Fields | ConvertTo-Json -Compress)
        }
    }
}

Describe 'Columns that bind to nothing' {
    BeforeEach { Reset-Emu $url }

    It 'are named once per run by the group, location and web user writes too' {
        $g = Get-CCGroup -Name 'North Team'
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ Id = $g.Id; case_sharing = 'True'; 'group-name' = 'x' } }
        $rows | Set-CCGroup -WarningVariable warn -WarningAction SilentlyContinue
        $warn.Count | Should -Be 1
        "$warn" | Should -Match "'group-name'"
        $l = Get-CCLocation -SiteCode north
        [pscustomobject]@{ Id = $l.Id; 'site-code' = 'north'; 'location_data.region' = 'x' } | Set-CCLocation -WarningVariable warn2 -WarningAction SilentlyContinue
        "$warn2" | Should -Match "'site-code' \(did you mean -SiteCode"
        "$warn2" | Should -Not -Match 'location_data'
    }
}
