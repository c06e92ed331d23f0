BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Web users' {
    BeforeEach { Reset-Emu $url }

    It 'lists web users and finds one by e-mail (sent as web_username)' {
        $all = @(Get-CCWebUser)
        $all.UserName | Should -Contain 'admin@example.com'
        $all[0] | Should -BeOfType ([CommCare.Models.CCWebUser])
        $v = Get-CCWebUser -Email viewer@example.com
        $v.UserName | Should -Be 'viewer@example.com'
        (Get-EmuRequests $url | Select-Object -Last 1).query | Should -BeLike '*web_username=viewer%40example.com*'
        (Get-CCWebUser -Id $v.Id).UserName | Should -Be 'viewer@example.com'
    }

    It 'changes a role and merges user data, and -WhatIf sends nothing' {
        $v = Get-CCWebUser -Email viewer@example.com
        $v | Set-CCWebUser -Role Supervisor -WhatIf
        @(Get-EmuRequests $url | Where-Object method -ne 'GET').Count | Should -Be 0
        $changed = $v | Set-CCWebUser -Role Supervisor -UserData @{ team = 'north' } -PassThru
        $changed.Role | Should -Be 'Supervisor'
        $changed.UserData['team'] | Should -Be 'north'
        (Get-EmuRequests $url | Where-Object method -eq 'PATCH').Count | Should -Be 1
    }

    It 'reports an unknown role as that user''s error' {
        $v = Get-CCWebUser -Email viewer@example.com
        $v | Set-CCWebUser -Role 'No Such Role' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*No Such Role*'
    }

    It 'invites people; a second invitation to the same e-mail is an error, not a duplicate' {
        $inv = New-CCWebUserInvitation -Email new.person@example.org -Role 'Field Worker'
        $inv.Email | Should -Be 'new.person@example.org'
        $inv.Id | Should -Not -BeNullOrEmpty
        New-CCWebUserInvitation -Email new.person@example.org -Role 'Field Worker' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*pending invitation*'
    }

    It 'rejects a malformed e-mail before any request' {
        { New-CCWebUserInvitation -Email 'not-an-email' -Role 'Field Worker' } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        @(Get-EmuRequests $url).Count | Should -Be 0
    }
}
