BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-ref-" + [guid]::NewGuid())
    New-Item -ItemType Directory $dir | Out-Null
    $script:hh = 'b7f3c2a1d4e54f6a8b9c0d1e2f3a4b5c'
    $script:pf = '0a1b2c3d4e5f4a6b7c8d9e0f1a2b3c4d'
}
AfterAll { Stop-TestEmulator $emu; Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Applications' {
    BeforeEach { Reset-Emu $url }

    It 'lists applications with modules, forms, questions, case types and builds' {
        $apps = @(Get-CCApplication)
        $apps.Name | Should -Be @('Household Survey', 'Patient Follow-up')
        $a = Get-CCApplication -Id $hh
        $a.CaseTypes | Should -Be @('household', 'patient')
        $a.Modules[0].DisplayName | Should -Be 'Households'
        $a.Modules[0].CaseProperties | Should -Contain 'village'
        $form = $a.Modules[0].Forms[0]
        $form.Xmlns | Should -Not -BeNullOrEmpty
        ($form.Questions | Where-Object Value -eq '/data/household_name').Required | Should -BeTrue
        ($a.Versions | Where-Object IsReleased).Version | Should -Be @(16, 17)
        $forms = @(Get-CCForm -Xmlns $form.Xmlns -First 1)
        $forms.Count | Should -Be 1
    }

    It 'downloads the latest released build as a .ccz, and says why a broken app cannot be built' {
        $f = Save-CCApplicationArchive -ApplicationId $hh -Latest Release -Path (Join-Path $dir 'hh.ccz')
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($f.FullName)
        try { $zip.Entries.FullName | Should -Contain 'profile.ccpr' } finally { $zip.Dispose() }
        $q = [uri]::UnescapeDataString((Get-EmuRequests $url | Where-Object { $_.path -like '*download_ccz*' })[0].query)
        $q | Should -BeLike "app_id=$hh*latest=release*"
        $out = @(Save-CCApplicationArchive -ApplicationId $pf -Path (Join-Path $dir 'pf.ccz') -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $ev[0].Exception.Message | Should -BeLike "*has errors and cannot be built*Close Case*"
        Test-Path (Join-Path $dir 'pf.ccz') | Should -BeFalse
        $none = @(Save-CCApplicationArchive -ApplicationId $pf -Latest Release -Path (Join-Path $dir 'pf2.ccz') -ErrorVariable ev2 -ErrorAction SilentlyContinue)
        $ev2[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
    }
}

Describe 'Messaging events' {
    BeforeEach { Reset-Emu $url }

    It 'pages through every event once via the cursor, with date and type filters on the wire' {
        $all = @(Get-CCMessagingEvent -PageSize 50)
        $all.Count | Should -Be 360
        ($all.Id | Sort-Object -Unique).Count | Should -Be 360
        $all[0] | Should -BeOfType ([CommCare.Models.CCMessagingEvent])
        Reset-Emu $url
        $march = @(Get-CCMessagingEvent -Since ([datetime]::new(2024, 3, 1, 0, 0, 0, [DateTimeKind]::Utc)) -Until ([datetime]::new(2024, 3, 31, 23, 59, 59, [DateTimeKind]::Utc)) -ContentType sms, email)
        $march.Count | Should -BeGreaterThan 0
        @($march | Where-Object { $_.Date.Month -ne 3 }).Count | Should -Be 0
        $q = [uri]::UnescapeDataString((Get-EmuRequests $url)[0].query)
        $q | Should -BeLike '*date.gte=2024-03-01T00:00:00.000000*'
        $q | Should -BeLike '*content_type=sms,email*'
    }
}

Describe 'Data sources and OData' {
    BeforeEach { Reset-Emu $url }

    It 'streams 12,000 data source rows through the cursor, sending data_source_id and limit with each cursor' {
        $rows = @(Get-CCDataSourceRow -DataSourceId 6f2b1d8e0c4a4f3b9d7e1c2a4f6b8d01 -PageSize 5000)
        $rows.Count | Should -Be 12000
        ($rows.doc_id | Sort-Object -Unique).Count | Should -Be 12000
        $reqs = @(Get-EmuRequests $url | Where-Object { $_.path -like '*/ucr/*' })
        $reqs.Count | Should -Be 4
        @($reqs | Where-Object { $_.query -notlike 'data_source_id=*&limit=5000*' }).Count | Should -Be 0
    }

    It 'exports a data source to CSV' {
        $f = Export-CCDataSource -DataSourceId 6f2b1d8e0c4a4f3b9d7e1c2a4f6b8d02 -Path (Join-Path $dir 'ds.csv')
        $rows = @(Import-Csv $f.FullName)
        $rows.Count | Should -Be 500
        $rows[0].PSObject.Properties.Name | Should -Contain 'doc_id'
    }

    It 'reads an OData feed to the end through @odata.nextLink' {
        $raw = Invoke-RestMethod "$url/a/demo/api/v0.5/odata/cases/3b9f1c2e7d4a4e8f9a0b1c2d3e4f5a61/feed?limit=10000" -Headers @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" }
        $rows = @(Get-CCODataFeed -Kind cases -ConfigId 3b9f1c2e7d4a4e8f9a0b1c2d3e4f5a61)
        $rows.Count | Should -Be $raw.value.Count
        ($rows.caseid -join ',') | Should -Be ($raw.value.caseid -join ',')
    }
}
