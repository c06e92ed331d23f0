# build.ps1 -Task Emulator and -Task Demo as a new user meets them: output redirected (no escape codes, even
# without NO_COLOR), the printed Connect-CCServer line works when pasted, Ctrl+C (SIGINT) stops the emulator.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
}

Describe 'build.ps1 -Task Emulator' {
    It 'prints the URL, the credentials and a Connect-CCServer line that works; Ctrl+C stops it' {
        $run = Start-BuildTask 'Emulator'
        try {
            $banner = Wait-Banner $run 120
            $connect = $banner.Connect; $url = $banner.Url
            $text = @($run.Lines.ToArray()) -join "`n"
            $text | Should -Match ([regex]::Escape("running at $url"))
            $text | Should -Match "user name: $([regex]::Escape($AdminUser))"
            $text | Should -Match "API key: $([regex]::Escape($AdminKey))"
            $text | Should -Match 'Import-Module \S+CommCare\.psd1'
            # Pasted as printed.
            Invoke-Expression $connect
            (Get-CCSession).Server.ToString() | Should -Be "$url/"
            @(Get-CCCase -First 3).Count | Should -Be 3
        }
        finally { $exited = Stop-BuildTask $run; Disconnect-CCServer -ErrorAction SilentlyContinue }
        $exited | Should -BeTrue -Because 'Ctrl+C ends the task'
        Test-Listening $url | Should -BeFalse -Because 'the emulator stops with the task'
        ($run.Lines.ToArray() -join "`n") | Should -Not -Match "`e" -Because 'redirected output carries no escape codes'
    }
}

Describe 'build.ps1 -Task Demo' {
    It 'shows rows before their summary, the generated passwords once, and ends with a Connect-CCServer line to the running emulator' {
        $run = Start-BuildTask 'Demo'
        try {
            $banner = Wait-Banner $run 240
            $connect = $banner.Connect; $url = $banner.Url
            $lines = @($run.Lines.ToArray())
            $text = $lines -join "`n"
            $text | Should -Not -Match "`e" -Because 'redirected output carries no escape codes'
            $text | Should -Not -Match 'Error|Exception' -Because "the demo runs clean:`n$text"
            # Rows first, then the refusal, then the summary, once.
            $header = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^UserName\s+GeneratedPassword' })
            $header | Should -BeGreaterThan 0
            $summary = @(0..($lines.Count - 1) | Where-Object { $lines[$_] -match 'New-CCMobileWorker: 2 created' })
            $summary.Count | Should -Be 1 -Because 'the summary prints once'
            $refused = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^Refused: Row 3' })
            $refused | Should -BeGreaterThan $header
            $summary[0] | Should -BeGreaterThan $refused
            # The generated passwords are in the table and they work.
            $amina = $lines | Where-Object { $_ -match '^demo\.amina@\S+\s+(\S+)\s' } | Select-Object -First 1
            $password = [regex]::Match($amina, '^demo\.amina@\S+\s+(\S+)\s').Groups[1].Value
            $password.Length | Should -BeGreaterOrEqual 8
            # The closing lines lead to the same emulator, with what the demo made.
            $text | Should -Match ([regex]::Escape("PS> $connect"))
            Invoke-Expression $connect
            (Get-CCMobileWorker -UserName demo.amina).FirstName | Should -Be 'Amina'
            Test-CCCredential -UserName demo.amina -Password $password -Quiet | Should -BeTrue
        }
        finally { $exited = Stop-BuildTask $run; Disconnect-CCServer -ErrorAction SilentlyContinue }
        $exited | Should -BeTrue -Because 'Ctrl+C ends the demo'
        Test-Listening $url | Should -BeFalse -Because 'the emulator stops with the demo'
    }
}
