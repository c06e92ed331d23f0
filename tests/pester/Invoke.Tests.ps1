BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Invoke-CCRestMethod' {
    BeforeEach { Reset-Emu $url }

    It 'calls a server-relative endpoint and returns an object' {
        $me = Invoke-CCRestMethod -Path /api/v0.5/identity/
        $me.username | Should -Be 'admin@example.com'
        (Get-EmuRequests $url)[0].auth | Should -Be 'apikey'
    }

    It '-All pages through a list and streams every object' {
        $expected = @(Get-CCCase).Count
        Reset-Emu $url
        $all = @(Invoke-CCRestMethod -Path v0.5/case/ -Query @{ limit = 25 } -All)
        $all.Count | Should -Be $expected
        ($all.id | Sort-Object -Unique).Count | Should -Be $expected
        # One successful request per page. Only this call's requests (limit=25): the emulator logs after
        # answering, so the line of the Get-CCCase above can land after the reset.
        @(Get-EmuRequests $url | Where-Object { $_.status -eq 200 -and $_.query -like '*limit=25*' } | ForEach-Object query | Sort-Object -Unique).Count | Should -Be ([math]::Ceiling($expected / 25))
    }

    It 'encodes query values so they cannot add parameters' {
        @(Invoke-CCRestMethod -Path v0.5/case/ -Query @{ 'type.exact' = 'patient&limit=1' }).Count | Should -Be 1
        (Get-EmuRequests $url)[0].query | Should -BeLike '*type.exact=patient%26limit%3D1*'
    }

    It 'sends a JSON body for writes, and -WhatIf sends nothing' {
        Invoke-CCRestMethod -Method POST -Path v0.5/user/ -Body @{ username = 'rawuser1'; password = 'Pw-raw-1' } -WhatIf
        @(Get-EmuRequests $url).Count | Should -Be 0
        $r = Invoke-CCRestMethod -Method POST -Path v0.5/user/ -Body @{ username = 'rawuser1'; password = 'Pw-raw-1'; first_name = 'Raw' }
        $r.id | Should -Match '^[0-9a-f]{32}$'
        (Get-CCMobileWorker -Id $r.id).FirstName | Should -Be 'Raw'
    }

    It '-Raw returns the text; a missing resource is a clear error' {
        (Invoke-CCRestMethod -Path /api/v0.5/identity/ -Raw) | Should -BeLike '{*admin@example.com*'
        $err = $null
        try { Invoke-CCRestMethod -Path v0.5/case/no-such-case/ } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
    }
}
