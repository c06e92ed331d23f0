BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:emu = Start-TestEmulator
    $script:url = $emu.Url
    $script:all = Get-RawAll $url 'case'
    Connect-TestServer $url | Out-Null
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Get-CCCase list' {
    BeforeEach { Reset-Emu $url }

    It 'returns every case once, as typed CCCase objects, with the five special properties lifted' {
        $cases = @(Get-CCCase)
        $cases.Count | Should -Be $all.Count
        $all.Count | Should -BeGreaterThan 50
        ($cases.Id | Sort-Object -Unique).Count | Should -Be $all.Count
        $cases[0] | Should -BeOfType ([CommCare.Models.CCCase])
        $raw = $all | Where-Object { $_.properties.case_name -eq 'Mattie Ross' } | Select-Object -First 1
        $c = $cases | Where-Object Id -eq $raw.id
        $c.Name | Should -Be 'Mattie Ross'
        $c.CaseType | Should -Be $raw.properties.case_type
        $c.ExternalId | Should -Be 'P-17'
        $c.OwnerId | Should -Be $raw.properties.owner_id
        $c.Properties.ContainsKey('case_name') | Should -BeFalse
        $c.Properties['district'] | Should -Be $raw.properties.district
        $c.Domain | Should -Be 'demo'
        $c.IndexedOn.Kind | Should -Be 'Utc'
    }

    It 'filters by case type on the server (exact), and an unknown type returns nothing without error' {
        $patients = @(Get-CCCase -CaseType patient)
        $patients.Count | Should -Be @($all | Where-Object { $_.properties.case_type -eq 'patient' }).Count
        ($patients.CaseType | Sort-Object -Unique) | Should -Be 'patient'
        $none = @(Get-CCCase -CaseType no_such_type -ErrorVariable ev)
        $none.Count | Should -Be 0
        $ev.Count | Should -Be 0
        (Get-EmuRequests $url | Select-Object -Last 1).query | Should -BeLike '*type.exact=no_such_type*'
    }

    It '-Closed:$false gives only open cases and -Closed only closed ones' {
        $open = @(Get-CCCase -Closed:$false)
        $closed = @(Get-CCCase -Closed)
        $open.Count | Should -Be @($all | Where-Object { -not $_.closed }).Count
        $closed.Count | Should -Be @($all | Where-Object { $_.closed }).Count
        $closed.Count | Should -BeGreaterThan 0
        ($open | Where-Object Closed).Count | Should -Be 0
    }

    It 'matches a multi-word name and a hyphenated external id exactly' {
        (Get-CCCase -Name 'Mattie Ross').ExternalId | Should -Be 'P-17'
        (Get-CCCase -ExternalId 'P-17').Name | Should -Be 'Mattie Ross'
    }

    It 'filters by owner and by other case properties' {
        $owner = ($all | Where-Object { $_.properties.owner_id } | Select-Object -First 1).properties.owner_id
        $byOwner = @(Get-CCCase -OwnerId $owner)
        $byOwner.Count | Should -Be @($all | Where-Object { $_.properties.owner_id -eq $owner }).Count
        $north = @(Get-CCCase -CaseType patient -Property @{ district = 'north' })
        $north.Count | Should -Be @($all | Where-Object { $_.properties.case_type -eq 'patient' -and $_.properties.district -eq 'north' }).Count
        $north.Count | Should -BeGreaterThan 0
    }

    It 'Select-Object -First 3 makes one request' {
        $three = @(Get-CCCase | Select-Object -First 3)
        $three.Count | Should -Be 3
        @(Get-EmuRequests $url | Where-Object path -like '*/case/*').Count | Should -Be 1
    }

    It '-First 3 asks the server for only 3 records, and -Skip skips' {
        $first = @(Get-CCCase -First 3)
        $req = @(Get-EmuRequests $url)
        $req.Count | Should -Be 1
        $req[0].query | Should -BeLike '*limit=3*'
        $skipped = @(Get-CCCase -Skip 1 -First 2)
        $skipped[0].Id | Should -Be $first[1].Id
        $skipped[1].Id | Should -Be $first[2].Id
    }

    It '-IncludeTotalCount reports the server''s count first' {
        $out = @(Get-CCCase -CaseType patient -IncludeTotalCount -First 1)
        $out[0].ToString() | Should -BeLike "*$(@($all | Where-Object { $_.properties.case_type -eq 'patient' }).Count)*"
    }

    It 'sends dates in the one format the server accepts (no Z), in UTC' {
        $since = [datetime]::new(2020, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)
        $got = @(Get-CCCase -IndexedSince $since -ServerModifiedSince $since)
        $q = (Get-EmuRequests $url)[0].query
        $q | Should -BeLike '*indexed_on_start=2020-01-02T03%3A04%3A05.000000*'
        $q | Should -BeLike '*server_date_modified_start=2020-01-02T03%3A04%3A05.000000*'
        $q | Should -Not -BeLike '*05.000000Z*'
        $got.Count | Should -Be @($all | Where-Object { [datetime]$_.indexed_on -ge $since }).Count
    }

    It 'honours -OrderBy with offset paging in that order' {
        $desc = @(Get-CCCase -OrderBy '-server_date_modified' -PageSize 25)
        $desc.Count | Should -Be $all.Count
        for ($i = 1; $i -lt $desc.Count; $i++) { $desc[$i].ServerDateModified | Should -BeLessOrEqual $desc[$i - 1].ServerDateModified }
        (Get-EmuRequests $url)[1].query | Should -BeLike '*offset=25*'
    }

    It 'rejects a page size over the server maximum before any request' {
        { Get-CCCase -PageSize 6000 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        (Get-EmuRequests $url).Count | Should -Be 0
    }

    It 'rejects an empty date range before any request, naming the parameter' {
        { Get-CCCase -ModifiedSince '2024-02-01' -ModifiedUntil '2024-01-01' } | Should -Throw -ExpectedMessage '*date_modified*start*after*end*'
        (Get-EmuRequests $url).Count | Should -Be 0
    }
}

Describe 'Get-CCCase by id' {
    BeforeEach { Reset-Emu $url }

    It 'gets cases by id from the pipeline, and a missing id is a non-terminating error' {
        $ids = @($all[0].id, 'no-such-case', $all[1].id)
        $got = @($ids | Get-CCCase -ErrorVariable ev -ErrorAction SilentlyContinue)
        $got.Id | Should -Be @($all[0].id, $all[1].id)
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
        $ev[0].TargetObject | Should -Be 'no-such-case'
        $ev[0].Exception.Message | Should -BeLike "*no-such-case*demo*"
    }

    It 'binds objects with an Id property (Get-CCCase | Get-CCCase)' {
        $got = @(Get-CCCase -First 2 | Get-CCCase)
        $got.Count | Should -Be 2
    }

    It 'embeds child and parent cases when asked' {
        $household = $all | Where-Object { $_.properties.case_type -eq 'household' } |
            Where-Object { $hid = $_.id; $all | Where-Object { $_.indices.parent.case_id -eq $hid } } | Select-Object -First 1
        $h = Get-CCCase -Id $household.id -IncludeChildCases
        $h.ChildCases.Count | Should -BeGreaterThan 0
        (Get-EmuRequests $url)[0].query | Should -BeLike '*child_cases__full=true*'
        $child = $all | Where-Object { $_.indices.parent.case_id -eq $household.id } | Select-Object -First 1
        $c = Get-CCCase -Id $child.id -IncludeParentCases
        $c.Indices['parent'].CaseId | Should -Be $household.id
        $c.ParentCases.Values.Id | Should -Contain $household.id
    }

    It 'encodes ids so they cannot change the path' {
        $got = @(Get-CCCase -Id '../form/x?limit=1' -ErrorVariable ev -ErrorAction SilentlyContinue)
        $got.Count | Should -Be 0
        $ev.Count | Should -Be 1
        (Get-EmuRequests $url)[0].path | Should -BeLike '/a/demo/api/v0.5/case/*'
    }
}
