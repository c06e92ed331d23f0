BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    # 200,000 forms, 5,000 of them sharing one indexed_on instant (where a naive resume loops or skips).
    $script:emu = Start-TestEmulator -Arguments @('--forms', '200000', '--same-timestamp-forms', '5000', '--cases', '50')
    $script:url = $emu.Url
    Invoke-RestMethod "$url/_emulator/dataset?wait=true" | Out-Null
    Connect-TestServer $url | Out-Null
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ("cc-cp-" + [guid]::NewGuid())
    New-Item -ItemType Directory $work | Out-Null

    # One export run in its own pwsh: each form id is appended (and flushed) to $Out by the consumer.
    function script:Start-Export([string] $Out, [string] $Checkpoint) {
        $script = @"
Import-Module '$ModulePsd1'
`$key = ConvertTo-SecureString '$AdminKey' -AsPlainText -Force
Connect-CCServer -Server '$url' -Domain demo -UserName '$AdminUser' -ApiKey `$key -SkipValidation -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0 -MaxRetryCount 12 -RetryBaseDelay 0.01 -MaxRetryWait 0.5 -RetryBudget 600
`$w = [IO.StreamWriter]::new('$Out', `$true)
try { Get-CCForm -IncludeArchived -Checkpoint '$Checkpoint' | ForEach-Object { `$w.WriteLine(`$_.Id); `$w.Flush() } }
finally { `$w.Dispose() }
"@
        $file = Join-Path $work ("run-" + [guid]::NewGuid() + '.ps1')
        Set-Content $file $script
        $dll = Join-Path $PSHOME 'pwsh.dll'
        Start-Process dotnet -ArgumentList @($dll, '-NoProfile', '-NonInteractive', '-File', $file) -PassThru -RedirectStandardError (Join-Path $work 'err.txt')
    }
    function script:Wait-Lines([string] $Out, [int] $AtLeast, $Process) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        while ($sw.Elapsed.TotalSeconds -lt 300) {
            if ((Test-Path $Out) -and ([IO.File]::ReadAllLines($Out).Count -ge $AtLeast)) { return }
            if ($Process.HasExited) { throw "the export ended early (exit $($Process.ExitCode)): $(Get-Content (Join-Path $work 'err.txt') -Raw)" }
            Start-Sleep -Milliseconds 100
        }
        throw "no progress to $AtLeast lines"
    }
}
AfterAll { Stop-TestEmulator $emu; Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Resumable export with -Checkpoint' {
    It '200,000 forms under 15% chaos with three forced kills: the runs together deliver every form, none missing' {
        $cp = Join-Path $work 'forms.checkpoint'
        $outs = 1..4 | ForEach-Object { Join-Path $work "out$_.txt" }
        Invoke-Emu $url 'faults' -Body @{ seed = 21; rate = 0.15; kinds = @('429', '500', '502', '503', 'drop', 'truncate', 'slow'); slowMs = 200; retryAfter = '0.05' } | Out-Null
        $targets = 30000, 30000, 30000
        for ($i = 0; $i -lt 3; $i++) {
            $p = Start-Export $outs[$i] $cp
            Wait-Lines $outs[$i] $targets[$i] $p
            Stop-Process -Id $p.Id -Force          # SIGKILL: no cleanup runs
            $p.WaitForExit()
        }
        $last = Start-Export $outs[3] $cp
        $last.WaitForExit(600000) | Out-Null
        $last.ExitCode | Should -Be 0
        Invoke-Emu $url 'faults' -Method DELETE | Out-Null

        $delivered = [Collections.Generic.List[string]]::new()
        foreach ($o in $outs) { $delivered.AddRange([IO.File]::ReadAllLines($o)) }
        $unique = [Collections.Generic.HashSet[string]]::new($delivered)
        $server = [Collections.Generic.HashSet[string]]::new([string[]]@(Get-CCForm -IncludeArchived | ForEach-Object Id))
        $server.Count | Should -Be 200000
        $unique.SetEquals($server) | Should -BeTrue
        # A hard kill can repeat only the record being handed over when the process died: at most one per kill.
        ($delivered.Count - $unique.Count) | Should -BeLessOrEqual 3
        # About one request in seven was a fault (page size 1,000: some 250 page requests over the four runs).
        @(Get-EmuRequests $url | Where-Object { $_.fault }).Count | Should -BeGreaterThan 20
    }

    It 'a stopped run (Ctrl+C, Select-Object -First) resumes exactly: every form once across runs' {
        $cp = Join-Path $work 'stop.checkpoint'
        $a = @(Get-CCForm -IncludeArchived -Checkpoint $cp | Select-Object -First 77777 | ForEach-Object Id)
        $b = @(Get-CCForm -IncludeArchived -Checkpoint $cp | Select-Object -First 5001 | ForEach-Object Id)
        $c = @(Get-CCForm -IncludeArchived -Checkpoint $cp | ForEach-Object Id)
        $all = $a + $b + $c
        $all.Count | Should -Be 200000
        ([Collections.Generic.HashSet[string]]::new([string[]]$all)).Count | Should -Be 200000
        @(Get-CCForm -IncludeArchived -Checkpoint $cp).Count | Should -Be 0
    }

    It 'refuses a checkpoint made for other filters, and -OrderBy, before any request' {
        $cp = Join-Path $work 'other.checkpoint'
        Get-CCForm -Checkpoint $cp | Select-Object -First 3 | Out-Null
        Reset-Emu $url
        { Get-CCForm -Xmlns 'http://other' -Checkpoint $cp } | Should -Throw '*made for another query*'
        { Get-CCForm -OrderBy received_on -Checkpoint (Join-Path $work 'x.checkpoint') } | Should -Throw '*-OrderBy*'
        { Get-CCCase -ApiVersion 2 -Checkpoint (Join-Path $work 'y.checkpoint') } | Should -Throw '*-Checkpoint*'
        @(Get-EmuRequests $url).Count | Should -Be 0
    }
}
