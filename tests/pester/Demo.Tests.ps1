# build.ps1 -Task Emulator and -Task Demo as a new user meets them: output redirected (no escape codes, even
# without NO_COLOR), the printed Connect-CCServer line works when pasted, Ctrl+C (SIGINT) stops the emulator.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:BuildPs1 = Join-Path $PSScriptRoot '../../build.ps1'

    # Starts build.ps1 in its own pwsh with stdout/stderr redirected; lines are collected as they come.
    function Start-BuildTask([string] $Task) {
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in @((Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $BuildPs1, '-Task', $Task, '-NoBuild', '-Port', '0')) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.RedirectStandardInput = $true
        $psi.UseShellExecute = $false
        [void]$psi.Environment.Remove('NO_COLOR')   # redirection alone must keep escape codes out
        $lines = [Collections.Concurrent.ConcurrentQueue[string]]::new()
        $p = [Diagnostics.Process]::new(); $p.StartInfo = $psi
        $handler = { if ($null -ne $EventArgs.Data) { $Event.MessageData.Enqueue($EventArgs.Data) } }
        $e1 = Register-ObjectEvent $p OutputDataReceived -Action $handler -MessageData $lines
        $e2 = Register-ObjectEvent $p ErrorDataReceived -Action $handler -MessageData $lines
        [void]$p.Start(); $p.BeginOutputReadLine(); $p.BeginErrorReadLine()
        [pscustomobject]@{ Process = $p; Lines = $lines; Events = @($e1, $e2) }
    }
    function Wait-Line($Run, [string] $Pattern, [int] $Seconds) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        while ($sw.Elapsed.TotalSeconds -lt $Seconds) {
            $hit = @($Run.Lines.ToArray()) -match $Pattern
            if ($hit) { return $hit[0] }
            if ($Run.Process.HasExited) { break }
            Start-Sleep -Milliseconds 100
        }
        throw "No line matching '$Pattern' within $Seconds s; output:`n$(@($Run.Lines.ToArray()) -join "`n")"
    }
    # The closing lines both tasks print: the Connect-CCServer line to paste, then how to stop.
    function Wait-Banner($Run, [int] $Seconds) {
        $connect = (Wait-Line $Run '^\s+Connect-CCServer ' $Seconds).Trim()
        Wait-Line $Run 'Ctrl\+C' 10 | Out-Null
        [pscustomobject]@{ Connect = $connect; Url = [regex]::Match($connect, '-Server (\S+)').Groups[1].Value }
    }
    # What Ctrl+C in a terminal sends; the task must stop the emulator it started and exit.
    function Stop-BuildTask($Run) {
        if (-not $Run.Process.HasExited) { & kill -INT $Run.Process.Id; [void]$Run.Process.WaitForExit(20000) }
        $exited = $Run.Process.HasExited
        if (-not $exited) { $Run.Process.Kill($true) }
        $Run.Events | ForEach-Object { Unregister-Event -SourceIdentifier $_.Name -ErrorAction SilentlyContinue }
        $exited
    }
    function Test-Listening([string] $Url) {
        try { Invoke-WebRequest "$Url/_emulator/requests" -TimeoutSec 2 | Out-Null; $true } catch { $_.Exception.Response -ne $null }
    }
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
