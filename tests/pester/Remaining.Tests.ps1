BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-rest-" + [guid]::NewGuid())
    New-Item -ItemType Directory $dir | Out-Null
    $script:app = 'b7f3c2a1d4e54f6a8b9c0d1e2f3a4b5c'

    # A recorded forwarding payload: exactly the body and headers CommCare would POST.
    function script:Get-Payload([string] $Format, [string] $Id) {
        $r = Invoke-WebRequest "$url/_emulator/forwarding-payload?format=$Format&id=$Id"
        $headers = @{}
        foreach ($k in $r.Headers.Keys) { $headers[$k] = @($r.Headers[$k])[0] }
        [pscustomobject]@{ Body = $r.Content; Headers = $headers; Query = $headers['X-Emulator-Forwarding-Query'] }
    }
    function script:Json($o) { $o | ConvertTo-Json -Depth 30 -Compress }
}
AfterAll { Stop-TestEmulator $emu; Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Identity, project spaces and the credential check' {
    BeforeEach { Reset-Emu $url }

    It 'Get-CCIdentity and Get-CCUserDomain say who the key belongs to and where it can go' {
        $me = Get-CCIdentity
        $me.Id | Should -Be '8f9756be9b1c7f28057d707b405d18f6'
        $me.Email | Should -Be 'admin@example.com'
        (Get-CCUserDomain).Domain | Should -Be @('demo', 'other')
        @(Get-EmuRequests $url).path | Should -Contain '/api/v0.5/identity/'
    }

    It 'Test-CCCredential: right password gives the user, a wrong one is an answer (not an error); the password is never logged' {
        $ok = Test-CCCredential -UserName worker1 -Password 'emu-worker-password'
        $ok.Valid | Should -BeTrue
        $ok.UserName | Should -Be 'worker1@demo.commcarehq.org'
        $ok.UserId | Should -Not -BeNullOrEmpty
        $bad = Test-CCCredential -Credential ([pscredential]::new('worker1', (ConvertTo-SecureString 'wrong-pw' -AsPlainText -Force))) -ErrorVariable ev
        $bad.Valid | Should -BeFalse
        $ev.Count | Should -Be 0
        Test-CCCredential -UserName worker1 -Password 'wrong-pw' -Quiet | Should -BeFalse
        Test-CCCredential -UserName worker1 -Password 'emu-worker-password' -Quiet | Should -BeTrue
        (Invoke-Emu $url 'requests' -Method GET | ConvertTo-Json -Depth 5) | Should -Not -BeLike '*emu-worker-password*'
    }
}

Describe 'OTA restore' {
    BeforeEach { Reset-Emu $url }

    It 'restores as a mobile worker: the cases are the ones Get-CCCase returns, with fixtures and a sync token' {
        $r = Get-CCRestore -AsUser worker1
        $r.UserName | Should -Be 'worker1'
        $r.SyncToken | Should -Match '^[0-9a-f]{32}$'
        $r.Cases.Count | Should -BeGreaterThan 0
        $r.Fixtures.Id | Should -Contain 'item-list:facilities'
        $r.Fixtures.Id | Should -Contain 'user-groups'
        foreach ($c in $r.Cases | Select-Object -First 10) {
            $api = Get-CCCase -Id $c.Id
            $c.Name | Should -Be $api.Name
            $c.CaseType | Should -Be $api.CaseType
            $c.OwnerId | Should -Be $api.OwnerId
            $c.Closed | Should -Be $api.Closed
            foreach ($k in $c.Properties.Keys) { [string]$c.Properties[$k] | Should -Be ([string]$api.Properties[$k]) -Because "property $k of $($c.Id)" }
        }
        $q = [uri]::UnescapeDataString((Get-EmuRequests $url | Where-Object { $_.path -like '*/phone/restore/*' })[0].query)
        $q | Should -BeLike '*as=worker1@demo.commcarehq.org*'
    }

    It 'an incremental restore sends only what changed; an unknown token says to do a full restore' {
        $first = Get-CCRestore -AsUser worker1
        $case = $first.Cases | Where-Object { -not $_.Closed } | Select-Object -First 1
        Set-CCCase -CaseId $case.Id -Property @{ status = 'changed-for-sync' }
        $next = Get-CCRestore -AsUser worker1 -Since $first.SyncToken
        $next.Cases.Id | Should -Contain $case.Id
        $next.Cases.Count | Should -BeLessThan $first.Cases.Count
        ($next.Cases | Where-Object Id -eq $case.Id).Properties.status | Should -Be 'changed-for-sync'
        $out = @(Get-CCRestore -AsUser worker1 -Since 'ffffffffffffffffffffffffffffffff' -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $ev[0].Exception.Message | Should -BeLike '*No sync log*Do a full restore*'
    }
}

Describe 'ConvertFrom-CCForwardedPayload' {
    BeforeAll {
        $script:form = Get-CCForm -First 1
        $script:case = Get-CCCase -Closed:$false -First 1
        $script:closed = Get-CCCase -Closed -First 1
    }

    It 'a form JSON forward becomes the same CCForm as Get-CCForm' {
        $p = Get-Payload form-json $form.Id
        $f = ConvertFrom-CCForwardedPayload -Body $p.Body -Header $p.Headers
        $f | Should -BeOfType ([CommCare.Models.CCForm])
        $f.Id | Should -Be $form.Id
        $f.ReceivedOn | Should -Be $form.ReceivedOn
        $f.Metadata.UserName | Should -Be $form.Metadata.UserName
        (Json $f.Form) | Should -Be (Json $form.Form)
        (Json $f.Attachments) | Should -Be (Json $form.Attachments)
    }

    It 'a form XML forward gives the same id, xmlns, times, app and answers (meta keeps only what the phone sent)' {
        $p = Get-Payload form-xml $form.Id
        $f = ConvertFrom-CCForwardedPayload -Body $p.Body -Header $p.Headers -Query $p.Query
        $f.Id | Should -Be $form.Id
        $f.Xmlns | Should -Be $form.Xmlns
        $f.ReceivedOn | Should -Be $form.ReceivedOn
        $f.AppId | Should -Be $form.AppId
        $f.Metadata.InstanceId | Should -Be $form.Metadata.InstanceId
        $f.Metadata.UserId | Should -Be $form.Metadata.UserId
        $f.Metadata.TimeEnd | Should -Be $form.Metadata.TimeEnd
        $expected = [ordered]@{}; foreach ($k in $form.Form.Keys) { if ($k -ne 'meta') { $expected[$k] = $form.Form[$k] } }
        $actual = [ordered]@{}; foreach ($k in $f.Form.Keys) { if ($k -ne 'meta') { $actual[$k] = $f.Form[$k] } }
        (Json $actual) | Should -Be (Json $expected)
    }

    It 'case JSON and case XML forwards become the same CCCase as Get-CCCase (closed cases too)' {
        foreach ($c in $case, $closed) {
            $j = ConvertFrom-CCForwardedPayload -Body (Get-Payload case-json $c.Id).Body
            $j | Should -BeOfType ([CommCare.Models.CCCase])
            (Json $j) | Should -Be (Json $c)
            $px = Get-Payload case-xml $c.Id
            $x = ConvertFrom-CCForwardedPayload -Body $px.Body -Header $px.Headers
            $x.Id | Should -Be $c.Id
            $x.Name | Should -Be $c.Name
            $x.CaseType | Should -Be $c.CaseType
            $x.OwnerId | Should -Be $c.OwnerId
            $x.ExternalId | Should -Be $c.ExternalId
            $x.Closed | Should -Be $c.Closed
            $x.ServerDateModified | Should -Be $c.ServerDateModified
            ($x.Indices.Keys | Sort-Object) -join ',' | Should -Be (($c.Indices.Keys | Sort-Object) -join ',')
            foreach ($k in $c.Properties.Keys) { [string]$x.Properties[$k] | Should -Be ([string]$c.Properties[$k]) -Because "property $k" }
        }
    }

    It 'a webhook runbook gets the record from $WebhookData; the form stub gives its ids; junk is a clear error' {
        $p = Get-Payload case-json $case.Id
        $WebhookData = [pscustomobject]@{ WebhookName = 'commcare'; RequestBody = $p.Body; RequestHeader = [pscustomobject]$p.Headers }
        (ConvertFrom-CCForwardedPayload -WebhookData $WebhookData).Id | Should -Be $case.Id
        $stub = ConvertFrom-CCForwardedPayload -Body (Get-Payload form-stub $form.Id).Body
        $stub.FormId | Should -Be $form.Id
        $out = @(ConvertFrom-CCForwardedPayload -Body 'not a payload' -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $ev[0].Exception.Message | Should -BeLike '*-Body*neither JSON nor XML*'
    }
}

Describe 'SMS registration, exports, restricted keys' {
    BeforeEach { Reset-Emu $url; Invoke-Emu $url 'sms' -Method DELETE | Out-Null }

    It 'invites numbers and re-sends install info, reporting numbers per outcome; one request each (never retried)' {
        $r = Send-CCRegistrationInvitation -AppId $app -PhoneNumber '+502 555-12345', '12ab' -AndroidOnly -Confirm:$false
        $r.Sent | Should -Be @('50255512345')
        $r.InvalidFormat | Should -Be @('12ab')
        $i = Send-CCInstallInfo -AppId $app -PhoneNumber '50255500000' -Confirm:$false
        $i.NotSent | Should -Be @('50255500000')
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*sms_user_registration*' }).Count | Should -Be 2
        @(Invoke-Emu $url 'sms' -Method GET).Count | Should -Be 1
    }

    It 'says clearly when the server has no SMS registration any more' {
        Invoke-Emu $url 'config' -Body @{ smsRegistration = $false } | Out-Null
        { Send-CCRegistrationInvitation -AppId $app -PhoneNumber '50255512345' -Confirm:$false } | Should -Throw '*not available on this server*'
    }

    It 'lists DET exports and downloads a saved export and a DET configuration' {
        $exports = @(Get-CCExport)
        $exports.Count | Should -Be 3
        $patients = $exports | Where-Object Name -eq 'Patients'
        $patients.CaseType | Should -Be 'patient'
        $f = $patients | Save-CCExport -Path (Join-Path $dir 'patients.xlsx')
        $f.Length | Should -BeGreaterThan 1000
        $d = $patients | Save-CCExport -DetConfig -Path (Join-Path $dir 'patients-det.xlsx')
        $d.Length | Should -BeGreaterThan 500
        @(Get-CCExport -Id 'no-such-export' -ErrorVariable ev -ErrorAction SilentlyContinue).Count | Should -Be 0
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
    }

    It 'a key limited by IP or to another project gives an error that names the likely cause' {
        $ipKey = [pscredential]::new('admin@example.com', (ConvertTo-SecureString 'emu-admin-key-ip-0005' -AsPlainText -Force))
        { Connect-CCServer -Server $url -Domain demo -Credential $ipKey } | Should -Throw '*allow-list*'
        $otherKey = [pscredential]::new('admin@example.com', (ConvertTo-SecureString 'emu-admin-key-other-0006' -AsPlainText -Force))
        $s = Connect-CCServer -Server $url -Domain demo -Credential $otherKey -PassThru
        { Get-CCCase -Session $s -First 1 } | Should -Throw '*limited to another project space*'
        Connect-TestServer $url | Out-Null      # Connect-CCServer made the restricted session the default
    }
}

Describe 'Data forwarding listing and -Domain completion' {
    BeforeAll { Connect-TestServer $url | Out-Null }
    BeforeEach { Reset-Emu $url }

    It 'lists the legacy forwarders' {
        $f = @(Get-CCDataForwarder)
        $f.Count | Should -Be 3
        $f.type | Should -Contain 'CaseRepeater'
        ($f | Where-Object id -eq '7d3f0a9e5c1b4e2d8f6a0c4e2b8d6f01').url | Should -Be 'https://forwarding.example.org/commcare/forms/xml'
    }

    It 'completes Connect-CCServer -Domain from the project spaces of the current session, asking the server once' {
        $line = 'Connect-CCServer -Domain o'
        $r1 = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r1.CompletionMatches.CompletionText | Should -Be @('other')
        $line = 'Connect-CCServer -Domain '
        $r2 = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $r2.CompletionMatches.CompletionText | Should -Be @('demo', 'other')
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*user_domains*' }).Count | Should -Be 1
    }
}

Describe 'Tab completion from the server' {
    BeforeAll { Connect-TestServer $url | Out-Null }

    It 'completes <Line>' -ForEach @(
        @{ Line = 'Get-CCCase -CaseType pat'; Expect = 'patient' }
        @{ Line = 'Export-CCReport -ReportId 5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c0'; Expect = '5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c01' }
        @{ Line = 'Get-CCLookupTableItem -Table fac'; Expect = 'facilities' }
        @{ Line = 'Get-CCForm -Xmlns http://openrosa.org/formdesigner/FOL'; Expect = 'http://openrosa.org/formdesigner/FOLLOWUP' }
        @{ Line = 'Import-CCCaseData -CaseType hou'; Expect = 'household' }
    ) {
        $r = TabExpansion2 -inputScript $Line -cursorColumn $Line.Length
        $r.CompletionMatches.CompletionText | Should -Contain $Expect
    }

    It 'location types complete too, and with no session nothing is suggested and nothing fails' {
        $codes = (Get-CCLocationType).Code
        $line = 'Get-CCLocation -LocationType '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be ($codes | Sort-Object)
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
`$line = 'Get-CCCase -CaseType p'
(TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches.Count
"@
        $r.ExitCode | Should -Be 0
        $r.Output[-1] | Should -Be '0'
    }
}
