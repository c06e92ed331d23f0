BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:emu = Start-TestEmulator
    $script:url = $emu.Url
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Connect-CCServer' {
    BeforeEach { Reset-Emu $url; Disconnect-CCServer }

    It 'connects with a PSCredential (e-mail + API key), validates with the identity and project-space APIs and becomes the default' {
        $s = Connect-CCServer -Server $url -Domain demo -Credential (New-AdminCredential) -PassThru
        $s.Domain | Should -Be 'demo'
        $s.UserName | Should -Be 'admin@example.com'
        $s.UserId | Should -Be '8f9756be9b1c7f28057d707b405d18f6'
        $s.Server.AbsoluteUri | Should -Be "$url/"
        (Get-CCSession).Id | Should -Be $s.Id
        $req = Get-EmuRequests $url
        $req.Count | Should -Be 2
        $req[0].path | Should -Be '/api/v0.5/identity/'
        $req[1].path | Should -Be '/api/v0.5/user_domains/'    # -Domain is one of the user's project spaces
        $req.auth | Should -Be @('apikey', 'apikey')
    }

    It 'accepts -UserName with -ApiKey given as plain text (converted to a SecureString)' {
        $s = Connect-CCServer -Server $url -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001' -PassThru
        $s.UserId | Should -Be '8f9756be9b1c7f28057d707b405d18f6'
        $s.AuthenticationType | Should -Be 'ApiKey'
    }

    It 'accepts an OAuth bearer token' {
        $s = Connect-CCServer -Server $url -Domain demo -AccessToken (ConvertTo-SecureString 'emu-oauth-token-0004' -AsPlainText -Force) -PassThru
        $s.AuthenticationType | Should -Be 'Bearer'
        (Get-EmuRequests $url)[0].auth | Should -Be 'bearer'
    }

    It 'gives one clear terminating error when the key is refused, not a stack trace' {
        $err = $null
        try { Connect-CCServer -Server $url -Domain demo -Credential (New-AdminCredential 'wrong-key') } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.Authentication*'
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Message | Should -BeLike '*refused the credentials*admin@example.com*'
        $err.Exception.Message | Should -Not -BeLike '*   at *'
        $err.Exception.Message | Should -Not -BeLike '*wrong-key*'
        Get-CCSession | Should -BeNullOrEmpty
    }

    It 'refuses plain HTTP to a non-loopback server before sending anything' {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        { Connect-CCServer -Server 'http://commcare.invalid' -Domain demo -Credential (New-AdminCredential) } |
            Should -Throw -ExpectedMessage '*https*' -ErrorId 'CommCare.InvalidArgument.Server*'
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 5
    }

    It 'names the parameter when the server value is not a server' {
        { Connect-CCServer -Server 'not a url' -Domain demo -Credential (New-AdminCredential) -SkipValidation } |
            Should -Throw -ExpectedMessage '-Server*'
    }

    It 'maps www, india and eu to the CommCare hosts without sending a request (-SkipValidation)' {
        (Connect-CCServer -Server www -Domain demo -Credential (New-AdminCredential) -SkipValidation -PassThru).Server | Should -Be 'https://www.commcarehq.org/'
        (Connect-CCServer -Server india -Domain demo -Credential (New-AdminCredential) -SkipValidation -PassThru).Server | Should -Be 'https://india.commcarehq.org/'
        (Get-EmuRequests $url).Count | Should -Be 0
    }

    It 'computes rates from the mobile worker count with CommCare''s formula' {
        $s = Connect-CCServer -Server $url -Domain demo -Credential (New-AdminCredential) -SkipValidation -MobileWorkerCount 125 -PassThru
        $s.Policy.MobileWorkerCount | Should -Be 125
        $s.Policy.RequestsPerSecond | Should -BeGreaterThan (28.2 * 0.85)
        $s.Policy.RequestsPerSecond | Should -BeLessThan 28.2
        $s.Policy.RequestsPerMinute | Should -BeLessThan 390.5
    }
}

Describe 'Session state' {
    BeforeEach { Reset-Emu $url; Disconnect-CCServer }

    It 'says "not connected" with the fix when there is no session' {
        $env:COMMCARE_API_KEY = $null
        $err = $null
        try { Get-CCCase -First 1 } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.NotConnected*'
        $err.Exception.Message | Should -BeLike '*Connect-CCServer*'
    }

    It 'uses -Session over the default, for another project space' {
        Connect-TestServer $url | Out-Null
        $other = Connect-TestServer $url -Domain other
        Connect-TestServer $url | Out-Null
        Get-CCCase -Session $other -First 1 | Out-Null
        Get-CCCase -First 1 | Out-Null
        $paths = (Get-EmuRequests $url | Where-Object path -like '/a/*').path
        $paths[0] | Should -BeLike '/a/other/*'
        $paths[1] | Should -BeLike '/a/demo/*'
    }

    It 'Set-CCSessionOption changes the session itself: the default and every variable holding it' {
        $s = Connect-TestServer $url
        $same = Set-CCSessionOption -MaxRetryCount 9 -RequestsPerSecond 3 -PassThru
        $same.Id | Should -Be $s.Id
        $s.Policy.MaxRetryCount | Should -Be 9
        $s.Policy.RequestsPerSecond | Should -Be 3
        (Get-CCSession).Policy.MaxRetryCount | Should -Be 9
        Set-CCSessionOption -Session $s -MaxRetryCount 4
        (Get-CCSession).Policy.MaxRetryCount | Should -Be 4
    }

    It 'Disconnect-CCServer forgets the default session' {
        Connect-TestServer $url | Out-Null
        Disconnect-CCServer
        Get-CCSession | Should -BeNullOrEmpty
    }

    It 'reads COMMCARE_* environment variables when not connected' {
        $r = Invoke-FreshPwsh @"
`$env:COMMCARE_SERVER = '$url'; `$env:COMMCARE_DOMAIN = 'demo'; `$env:COMMCARE_USERNAME = 'admin@example.com'; `$env:COMMCARE_API_KEY = 'emu-admin-key-0001'
Import-Module '$ModulePsd1'
(Get-CCCase -CaseType patient -First 2 | Measure-Object).Count
(Get-CCSession).Domain
"@
        $r.ExitCode | Should -Be 0
        $r.Output[-2] | Should -Be '2'
        $r.Output[-1] | Should -Be 'demo'
    }

    It 'a web user without the data permission gets a permission error naming the fix' {
        $s = Connect-CCServer -Server $url -Domain demo -UserName viewer@example.com -ApiKey 'emu-viewer-key-0002' -PassThru
        $err = $null
        try { Get-CCCase -Session $s -First 1 } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.Permission*'
        $err.Exception.Message | Should -BeLike '*403*Edit data*'
    }
}

Describe 'Secrets' {
    BeforeAll {
        Reset-Emu $url
        $script:s = Connect-TestServer $url
    }

    It 'never shows the API key in ConvertTo-Json, Format-List, ToString or Export-Clixml of the session' {
        $json = $s | ConvertTo-Json -Depth 6
        $list = $s | Format-List * | Out-String
        $xml = Join-Path ([IO.Path]::GetTempPath()) ("cc-" + [guid]::NewGuid() + '.xml')
        $s | Export-Clixml $xml
        $clixml = Get-Content $xml -Raw
        Remove-Item $xml
        foreach ($text in $json, $list, $s.ToString(), $clixml) {
            $text | Should -Not -BeLike "*$AdminKey*"
            $text | Should -Not -Match ([regex]::Escape(($AdminKey.ToCharArray() | ForEach-Object { '{0:x2}00' -f [int]$_ }) -join ''))
        }
        $json | Should -BeLike '*admin@example.com*'
    }

    It 'never shows the API key in -Verbose or -Debug output, while showing each request' {
        $out = Get-CCCase -CaseType patient -First 2 -Verbose -Debug 5>&1 4>&1 | Out-String
        $out | Should -BeLike '*GET /a/demo/api/v0.5/case/*-> 200*'
        $out | Should -Not -BeLike "*$AdminKey*"
        $out | Should -BeLike '*Authorization: ****'
    }

    It 'never shows the API key in an error after retries are exhausted' {
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = '500' }, @{ kind = '500' }, @{ kind = '500' }) } | Out-Null
        $s2 = Set-CCSessionOption -Session $s -MaxRetryCount 2 -PassThru
        $err = $null
        try { Get-CCCase -Session $s2 -First 1 -Verbose 4>$null } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.Server*'
        ($err | Out-String) + $err.Exception.ToString() | Should -Not -BeLike "*$AdminKey*"
    }
}
