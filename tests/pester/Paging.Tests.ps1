# The foundation's "must show": exact, duplicate-free streams over large data sets, with faults.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url

    function script:Measure-Unique([scriptblock] $Produce) {
        $set = [Collections.Generic.HashSet[string]]::new()
        $count = 0
        & $Produce | ForEach-Object { $count++; [void]$set.Add($_.Id) }
        [pscustomobject]@{ Count = $count; Unique = $set.Count }
    }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Large data sets' {
    It '100,000 cases stream through Get-CCCase | Measure-Object with the exact count and no duplicate id' {
        Invoke-Emu $url 'dataset' -Body @{ cases = 100000; forms = 10 } | Out-Null
        Reset-Emu $url
        (Get-CCCase | Measure-Object).Count | Should -Be 100000
        $r = Measure-Unique { Get-CCCase -PageSize 5000 }
        $r.Count | Should -Be 100000
        $r.Unique | Should -Be 100000
    }

    It '50,000 forms of which 3,000 share one indexed_on: every form exactly once' {
        Invoke-Emu $url 'dataset' -Body @{ cases = 10; forms = 50000; sameTimestampForms = 3000 } | Out-Null
        Reset-Emu $url
        # Generated data sets archive some forms; the Form API hides those unless asked.
        $r = Measure-Unique { Get-CCForm -IncludeArchived }
        $r.Count | Should -Be 50000
        $r.Unique | Should -Be 50000
        # The shared instant was read by offset inside that one timestamp.
        @(Get-EmuRequests $url | Where-Object { $_.query -like '*indexed_on_end=*' -and $_.query -like '*offset=*' }).Count | Should -BeGreaterThan 1
    }

    It 'more cases sharing one timestamp than the page size still come out exactly once' {
        Invoke-Emu $url 'dataset' -Body @{ cases = 4000; forms = 10; sameTimestampCases = 2500 } | Out-Null
        $r = Measure-Unique { Get-CCCase -PageSize 500 }
        $r.Count | Should -Be 4000
        $r.Unique | Should -Be 4000
    }
}

Describe 'Faults' {
    BeforeAll { Invoke-Emu $url 'dataset' -Body @{ cases = 20000; forms = 20000; sameTimestampForms = 1500 } | Out-Null }
    BeforeEach { Reset-Emu $url }

    It 'with 20% injected 429/5xx/drops/cut-off bodies, every case and form still comes back exactly once' {
        $s = Connect-TestServer $url -Options @{ MaxRetryCount = 12 }
        Reset-Emu $url
        Invoke-Emu $url 'faults' -Body @{ seed = 11; rate = 0.2; retryAfter = '0.05'; kinds = @('429', '429-retry-after', '500', '502', '503', 'drop', 'truncate') } | Out-Null
        $c = Measure-Unique { Get-CCCase -Session $s -PageSize 500 }
        $f = Measure-Unique { Get-CCForm -Session $s -PageSize 500 -IncludeArchived }
        $c.Count | Should -Be 20000; $c.Unique | Should -Be 20000
        $f.Count | Should -Be 20000; $f.Unique | Should -Be 20000
        $faulted = @(Get-EmuRequests $url | Where-Object fault)
        $faulted.Count | Should -BeGreaterThan 10
    }

    It 'honours a decimal Retry-After (waits at least that long before retrying)' {
        $s = Connect-TestServer $url -Options @{ MaxRetryWait = 5 }
        Reset-Emu $url
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = '429-retry-after'; retryAfter = '0.8' }) } | Out-Null
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $one = Get-CCCase -Session $s -First 1
        $sw.Elapsed.TotalSeconds | Should -BeGreaterThan 0.75
        $one | Should -Not -BeNullOrEmpty
        @(Get-EmuRequests $url).Count | Should -Be 2
    }

    It 'says visibly that it was throttled and how long it waits' {
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = '429-retry-after'; retryAfter = '0.1' }) } | Out-Null
        $verbose = Get-CCCase -First 1 -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | Out-String
        $verbose | Should -BeLike '*throttled*429*waiting 0.1*retry 1*'
    }

    It 'stops with a terminating error, not a short list, when the server keeps failing' {
        $s = Connect-TestServer $url -Options @{ MaxRetryCount = 2 }
        Reset-Emu $url
        Invoke-Emu $url 'faults' -Body @{ rate = 1.0; kinds = @('503') } | Out-Null
        $got = [Collections.Generic.List[object]]::new()
        $err = $null
        try { Get-CCCase -Session $s | ForEach-Object { $got.Add($_) } } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.Server*'
        $err.Exception.Message | Should -BeLike '*503*after 2 retries*'
        @(Get-EmuRequests $url).Count | Should -Be 3
    }

    It 'does not retry a 404: a missing id costs one request' {
        Get-CCCase -Id 'missing-case' -ErrorAction SilentlyContinue -ErrorVariable ev
        $ev.Count | Should -Be 1
        @(Get-EmuRequests $url).Count | Should -Be 1
    }

    It 'refuses a property filter that would override a paging parameter, sending nothing' {
        $err = $null
        try { Get-CCCase -Property @{ limit = 5 } } catch { $err = $_ }
        $err.Exception.Message | Should -BeLike "*'limit'*reserved*"
        @(Get-EmuRequests $url).Count | Should -Be 0
    }
}

Describe 'Next links' {
    BeforeAll { Invoke-Emu $url 'dataset' -Body @{ cases = 250; forms = 10 } | Out-Null }
    It 'follows next given as <style>' -ForEach @(@{ style = 'path' }, @{ style = 'query' }, @{ style = 'absolute' }) {
        Reset-Emu $url
        Invoke-Emu $url 'config' -Body @{ nextStyle = $style } | Out-Null
        $r = Measure-Unique { Get-CCCase -OrderBy server_date_modified -PageSize 40 }
        $r.Count | Should -Be 250
        $r.Unique | Should -Be 250
        @(Get-EmuRequests $url).Count | Should -Be 7
    }
}

Describe 'Cancellation' {
    BeforeAll { Invoke-Emu $url 'dataset' -Body @{ cases = 100; forms = 10 } | Out-Null }
    It 'Ctrl+C (StopProcessing) ends an in-flight slow request within a second' {
        Reset-Emu $url
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = 'slow' }); slowMs = 20000 } | Out-Null
        $ps = [powershell]::Create()
        $null = $ps.AddScript(@"
Import-Module '$ModulePsd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001' -SkipValidation -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0
Get-CCCase
"@)
        $handle = $ps.BeginInvoke()
        # Import and connect take well under 2 s; the list request then hangs for 20 s on the server.
        Start-Sleep -Seconds 2
        $ps.InvocationStateInfo.State | Should -Be 'Running'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 1
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Streams.Error.Count | Should -Be 0
        $ps.Dispose()
    }
}

Describe 'Pacing' {
    BeforeAll { Invoke-Emu $url 'dataset' -Body @{ cases = 200; forms = 10 } | Out-Null }
    AfterAll { Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 0; perMinute = 0 } | Out-Null }

    It 'four parallel runspaces sharing one session stay under a 5/s server limit: no 429, near full speed' {
        $s = Connect-TestServer $url -Options @{ RequestsPerSecond = 5; MaxRetryCount = 0 }
        Reset-Emu $url
        Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 5 } | Out-Null
        $sw = [Diagnostics.Stopwatch]::StartNew()
        # 4 runspaces x 10 requests (200 cases, 20 per page, offset paging).
        $counts = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:ModulePsd1
            @(Get-CCCase -Session $using:s -OrderBy server_date_modified -PageSize 20).Count
        }
        $elapsed = $sw.Elapsed.TotalSeconds
        $counts | Should -Be @(200, 200, 200, 200)
        $log = @(Get-EmuRequests $url)
        $log.Count | Should -Be 40
        @($log | Where-Object status -eq 429).Count | Should -Be 0
        # 40 requests at 5/s: the first 5 at once, then 5 a second, so at least ~7 s; within 15% of that.
        $elapsed | Should -BeGreaterThan 6.9
        $elapsed | Should -BeLessThan (7 * 1.15 + 1.5)
    }

    It 'runspaces that each connect on their own to the same project share its pace: no 429' {
        Reset-Emu $url
        Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 5 } | Out-Null
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $counts = 1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
            . (Join-Path $using:PSScriptRoot 'TestHelpers.ps1')
            Import-Module $using:ModulePsd1
            $own = Connect-TestServer $using:url -SkipValidation -Options @{ RequestsPerSecond = 5; MaxRetryCount = 0 }
            @(Get-CCCase -Session $own -OrderBy server_date_modified -PageSize 20).Count
        }
        $elapsed = $sw.Elapsed.TotalSeconds
        $counts | Should -Be @(200, 200, 200)
        $log = @(Get-EmuRequests $url)
        $log.Count | Should -Be 30
        @($log | Where-Object status -eq 429).Count | Should -Be 0
        $elapsed | Should -BeGreaterThan 4.9
    }
}
