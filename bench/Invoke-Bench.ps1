<#
.SYNOPSIS
    Side-by-side benchmarks against the emulator on loopback (build.ps1 -Task Bench). Each figure is a
    median of several runs in fresh processes; ratios come from the same run, so they hold on a noisy
    machine. Writes bench/results/<date>.md and prints the table.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePsd1,
    [Parameter(Mandatory)] [string] $Root,
    [string] $Configuration = 'Release',
    [int] $Runs = 3,
    # Records for the throughput runs, and the large export for the memory ratio.
    [int] $Forms = 100000,
    [int] $Cases = 100000,
    [int] $MemoryLarge = 1000000,
    [int] $MemorySmall = 10000,
    # Throttled provisioning: creates, and the server's (and session's) requests per second.
    [int] $Provision = 1000,
    [int] $ProvisionRate = 50,
    # Flat tables: survey forms (20+ questions, a repeat, a nested repeat) exported to CSV.
    [int] $FlatForms = 50000,
    # Which benchmarks to run (all by default), e.g. -Section flat.
    [ValidateSet('throughput', 'database', 'flat', 'memory', 'startup', 'provisioning')]
    [string[]] $Section = @('throughput', 'database', 'flat', 'memory', 'startup', 'provisioning'),
    # Defaults to the emulator built by build.ps1.
    [string] $EmulatorDll,
    # Fresh processes per start-up variant, alternated: the machine is shared, so many short runs and medians.
    [int] $StartupRuns = 21
)
$ErrorActionPreference = 'Stop'
$env:COMMCARE_MODULE_PSD1 = $ModulePsd1
$env:COMMCARE_EMULATOR_DLL = if ($EmulatorDll) { $EmulatorDll } else { Join-Path $Root "tests/CommCare.Emulator/bin/$Configuration/net10.0/CommCare.Emulator.dll" }
. (Join-Path $Root 'tests/pester/TestHelpers.ps1')

Write-Host '==> building the floor reader'
dotnet build (Join-Path $Root 'bench/Floor') -c Release -v q --nologo | Out-Null
$floor = Join-Path $Root 'bench/Floor/bin/Release/net10.0/CommCare.Bench.Floor.dll'
$pwshDll = Join-Path $PSHOME 'pwsh.dll'

function Invoke-Child([string] $Script) {
    $file = Join-Path ([IO.Path]::GetTempPath()) ("cc-bench-" + [guid]::NewGuid() + '.ps1')
    Set-Content $file $Script -Encoding utf8
    try {
        $out = & dotnet $pwshDll -NoProfile -NonInteractive -File $file 2>&1
        if ($LASTEXITCODE -ne 0) { throw "Benchmark child failed: $($out -join "`n")" }
        ($out | Select-Object -Last 1).ToString()
    } finally { Remove-Item $file -ErrorAction SilentlyContinue }
}

function Get-Row([string] $Name, [double[]] $Ms, [long] $Count) {
    $sorted = $Ms | Sort-Object
    [pscustomobject]@{ Name = $Name; Records = $Count; Median = $sorted[[int][math]::Floor($sorted.Count / 2)]; Min = $sorted[0]; Max = $sorted[-1] }
}

# Runs the variants in turn (A B C D, A B C D, ...) rather than each $Runs times in a row: on a noisy
# machine a slow spell then slows every variant alike instead of one of them, so the ratios hold.
function Measure-Interleaved([string[]] $Names, [scriptblock[]] $Variants) {
    $ms = @{}; $count = @{}
    for ($i = 0; $i -lt $Runs; $i++) {
        for ($v = 0; $v -lt $Variants.Count; $v++) {
            $n, $t = (& $Variants[$v]) -split ' '
            $ms[$v] += @([double]$t); $count[$v] = [long]$n
        }
    }
    for ($v = 0; $v -lt $Variants.Count; $v++) { Get-Row $Names[$v] $ms[$v] $count[$v] }
}

# The default, validated Connect-CCServer (as users run it): the throughput timings start after it.
$connect = "Import-Module '$ModulePsd1'; `$null = Connect-CCServer -Server '{0}' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001' -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0"
$irmLoop = @'
$h = @{{ Authorization = 'ApiKey admin@example.com:emu-admin-key-0001' }}
$u = '{0}/a/demo/api/v0.5/{1}/?limit={2}&{3}'; $n = 0
$sw = [Diagnostics.Stopwatch]::StartNew()
while ($u) {{
    $r = Invoke-RestMethod $u -Headers $h
    $n += $r.objects.Count
    $u = if ($r.meta.next) {{ [Uri]::new([Uri]$u, $r.meta.next).AbsoluteUri }} else {{ $null }}
}}
"$n $($sw.ElapsedMilliseconds)"
'@

$results = [Collections.Generic.List[object]]::new()
$notes = [Collections.Generic.List[string]]::new()
# Start-up alone needs no large data set: one the emulator makes at once.
$emu = if ($Section -contains 'throughput' -or $Section -contains 'flat') { Start-TestEmulator @('--cases', "$Cases", '--forms', "$Forms") } else { Start-TestEmulator @('--cases', '100', '--forms', '10') }
try {
    $url = $emu.Url
    # The emulator pre-serialises every record in the background after it starts: wait for that, and
    # warm its request path, so neither competes with the first timed run.
    Invoke-RestMethod "$url/_emulator/dataset?wait=true" | Out-Null
    if ($Section -contains 'throughput') { foreach ($r in 'form', 'case') { & dotnet $floor $url demo $r 1000 admin@example.com emu-admin-key-0001 bytes | Out-Null } }
    foreach ($spec in @(if ($Section -contains 'throughput') {
            @{ Resource = 'form'; Cmd = "Get-CCForm -IncludeArchived -PageSize 1000"; Limit = 1000; Query = 'include_archived=true' },
            @{ Resource = 'case'; Cmd = "Get-CCCase -PageSize 5000"; Limit = 5000; Query = '' } })) {
        $r = $spec.Resource
        Write-Host "==> throughput: $r"
        $rows = @(Measure-Interleaved @(
                "$r`: module ($($spec.Cmd) | Measure-Object)"
                "$r`: Invoke-RestMethod loop (limit $($spec.Limit))"
                "$r`: C# HttpClient + System.Text.Json (floor)"
                "$r`: emulator alone (download only)"
            ) @(
                { Invoke-Child (($connect -f $url) + "`n`$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = ($($spec.Cmd) | Measure-Object).Count; `"`$n `$(`$sw.ElapsedMilliseconds)`"") }
                { Invoke-Child ($irmLoop -f $url, $r, $spec.Limit, $spec.Query) }
                { (& dotnet $floor $url demo $r $spec.Limit admin@example.com emu-admin-key-0001 parse $spec.Query) -split ' ' | Select-Object -First 2 | Join-String -Separator ' ' }
                { (& dotnet $floor $url demo $r $spec.Limit admin@example.com emu-admin-key-0001 bytes $spec.Query) -split ' ' | Select-Object -First 2 | Join-String -Separator ' ' }
            ))
        $rows | ForEach-Object { $results.Add($_) }
        $notes.Add(("{0}: module is {1:0.0}x the Invoke-RestMethod loop (target >= 3x) and {2:0.00}x the floor's time (target <= 2x); the emulator alone serves {3:N0} records/s" -f
                $r, ($rows[1].Median / $rows[0].Median), ($rows[0].Median / $rows[2].Median), ($rows[3].Records / $rows[3].Median * 1000)))
    }

    if ($Section -contains 'database') {
        Write-Host "==> database export: $Forms forms to CSV, SQLite and PostgreSQL (issue #17)"
        # Each run writes into a new file or database, so every one is a full first run.
        $pg = Start-TestPostgres
        try {
            $export = "`$sw = [Diagnostics.Stopwatch]::StartNew(); `$r = {0}; `"$Forms `$(`$sw.ElapsedMilliseconds)`""
            $rows = @(Measure-Interleaved @(
                    "Export-CCForm -Path folder -Format Csv"
                    "Export-CCForm -ConnectionString (SQLite)"
                    "Export-CCForm -Provider PostgreSql -ConnectionString"
                ) @(
                    { $d = Join-Path ([IO.Path]::GetTempPath()) ('cc-bench-' + [guid]::NewGuid()); New-Item -ItemType Directory $d | Out-Null
                      try { Invoke-Child (($connect -f $url) + "`n" + ($export -f "Export-CCForm -Path '$d' -Format Csv -IncludeArchived")) } finally { Remove-Item $d -Recurse -Force } }
                    { $cs = New-TestDatabase 'Sqlite' $pg
                      try { Invoke-Child (($connect -f $url) + "`n" + ($export -f "Export-CCForm -ConnectionString '$cs'")) } finally { Remove-Item ($cs -replace '^Data Source=', '') -ErrorAction SilentlyContinue } }
                    { $cs = New-TestDatabase 'PostgreSql' $pg
                      Invoke-Child (($connect -f $url) + "`n" + ($export -f "Export-CCForm -Provider PostgreSql -ConnectionString '$cs'")) }
                ))
        } finally { Stop-TestPostgres $pg }
        $rows | ForEach-Object { $results.Add($_) }
        $notes.Add(("database export: SQLite took {0:0.00}x the CSV export's time (target <= 2x), PostgreSQL {1:0.00}x (target <= 3x)" -f
                ($rows[1].Median / $rows[0].Median), ($rows[2].Median / $rows[0].Median)))
    }

    if ($Section -contains 'flat') {
        Write-Host "==> flat tables: $FlatForms survey forms to CSV"
        Invoke-Emu $url 'dataset' -Body @{ cases = 10; forms = 10; surveyForms = $FlatForms } | Out-Null
        Invoke-RestMethod "$url/_emulator/dataset?wait=true" | Out-Null
        $xmlns = 'http://openrosa.org/formdesigner/SURVEY'
        $flatCsv = Join-Path ([IO.Path]::GetTempPath()) ("cc-bench-flat-" + [guid]::NewGuid() + '.csv')
        # The columns Export-CCForm writes for the form table, as a user would select them by hand.
        $null = Invoke-Child (($connect -f $url) + "`nExport-CCForm -Xmlns '$xmlns' -Path '$flatCsv' -Force; 'ok'")
        $columns = (Get-Content $flatCsv -TotalCount 1) -split ','
        $system = @{ number = '$null'; formid = '$_.Id'; completed_time = '$_.Metadata.TimeEnd'; started_time = '$_.Metadata.TimeStart'; username = '$_.Metadata.UserName'
            userID = '$_.Metadata.UserId'; received_on = '$_.ReceivedOn'; edited_on = '$_.EditedOn'; app_id = '$_.AppId'; build_id = '$_.BuildId'; '@version' = '$_.Version'; archived = '$_.Archived' }
        $select = ($columns | ForEach-Object {
                $e = if ($system.ContainsKey($_)) { $system[$_] } else { '$_.Form.' + ((($_ -replace '^form\.', '') -split '\.' | ForEach-Object { "'$_'" }) -join '.') }
                "@{ n = '$_'; e = { $e } }"
            }) -join ', '
        $handCsv = $flatCsv + '.hand.csv'
        $rows = @(Measure-Interleaved @(
                "flat: Export-CCForm -Path x.csv ($($columns.Count) columns + 2 repeat tables)"
                "flat: Get-CCForm | Select-Object <the same $($columns.Count) columns> | Export-Csv"
                "flat: Get-CCForm | Measure-Object"
            ) @(
                { Invoke-Child (($connect -f $url) + "`n`$sw = [Diagnostics.Stopwatch]::StartNew(); Export-CCForm -Xmlns '$xmlns' -Path '$flatCsv' -Force; `"$FlatForms `$(`$sw.ElapsedMilliseconds)`"") }
                { Invoke-Child (($connect -f $url) + "`n`$sw = [Diagnostics.Stopwatch]::StartNew(); Get-CCForm -Xmlns '$xmlns' | Select-Object $select | Export-Csv '$handCsv' -NoTypeInformation; `"$FlatForms `$(`$sw.ElapsedMilliseconds)`"") }
                { Invoke-Child (($connect -f $url) + "`n`$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Get-CCForm -Xmlns '$xmlns' | Measure-Object).Count; `"`$n `$(`$sw.ElapsedMilliseconds)`"") }
            ))
        Get-ChildItem ($flatCsv -replace '\.csv$', '*') -ErrorAction SilentlyContinue | Remove-Item -ErrorAction SilentlyContinue
        $rows | ForEach-Object { $results.Add($_) }
        $notes.Add(("flat tables: Export-CCForm is {0:0.0}x faster than Get-CCForm | Select-Object | Export-Csv of the same columns (target >= 5x) and takes {1:0.00}x the time of Get-CCForm | Measure-Object (target <= 1.3x)" -f
                ($rows[1].Median / $rows[0].Median), ($rows[0].Median / $rows[2].Median)))
    }

    if ($Section -contains 'memory') {
    Write-Host "==> memory: Get-CCForm | Export-Csv, $MemorySmall vs $MemoryLarge forms"
    # One data set of $MemoryLarge forms; the small export takes its first $MemorySmall. The two sizes
    # alternate, $Runs times each: the peak of one process varies with the collector's timing, so the
    # ratio is of medians.
    Invoke-Emu $url 'dataset' -Body @{ cases = 10; forms = $MemoryLarge } | Out-Null
    $peak = @{}; $took = @{}; $rowsOut = @{}
    for ($i = 0; $i -lt $Runs; $i++) {
        foreach ($n in $MemorySmall, $MemoryLarge) {
            $csv = Join-Path ([IO.Path]::GetTempPath()) ("cc-bench-" + [guid]::NewGuid() + '.csv')
            $first = if ($n -lt $MemoryLarge) { " -First $n" } else { '' }
            $line = Invoke-Child (($connect -f $url) + @"

`$sw = [Diagnostics.Stopwatch]::StartNew()
Get-CCForm -IncludeArchived$first | Export-Csv '$csv' -NoTypeInformation
`$ms = `$sw.ElapsedMilliseconds
# Read the peak before counting the CSV's lines: Get-Content over a million lines has a peak of its own.
`$p = [Diagnostics.Process]::GetCurrentProcess(); `$p.Refresh(); `$peakBytes = `$p.PeakWorkingSet64
"`$((Get-Content '$csv' | Measure-Object).Count - 1) `$ms `$peakBytes"
"@)
            Remove-Item $csv -ErrorAction SilentlyContinue
            $rows, $ms, $bytes = $line -split ' '
            $peak[$n] += @([double]$bytes); $took[$n] += @([double]$ms); $rowsOut[$n] = [long]$rows
        }
    }
    $medianPeak = @{}
    foreach ($n in $MemorySmall, $MemoryLarge) {
        $p = Get-Row 'peak' $peak[$n] 0
        $medianPeak[$n] = $p.Median
        $row = Get-Row ("Export-Csv of {0} forms: peak working set {1} MB (median; {2}-{3})" -f $n, [math]::Round($p.Median / 1MB), [math]::Round($p.Min / 1MB), [math]::Round($p.Max / 1MB)) $took[$n] $rowsOut[$n]
        $results.Add($row)
    }
    $notes.Add(("memory: peak working set for {0:N0} forms is {1:0.00}x that for {2:N0} (target < 1.3)" -f $MemoryLarge, ($medianPeak[$MemoryLarge] / $medianPeak[$MemorySmall]), $MemorySmall))
    }

    $startRuns = 0
    if ($Section -contains 'startup') {
    Write-Host '==> start-up'
    Invoke-Emu $url 'dataset' -Body @{ cases = 100; forms = 10 } | Out-Null
    $startRuns = $StartupRuns
    # Two reference points beside bare pwsh: the first command of any kind (Get-Date), and what a user
    # without the module runs for one call (one Invoke-RestMethod). Alternated like the throughput runs.
    $startup = [ordered]@{
        'start-up: pwsh -c exit' = 'exit'
        'start-up: pwsh -c Get-Date (any first command)' = '$null = Get-Date'
        'start-up: one Invoke-RestMethod call (no module)' = "`$null = Invoke-RestMethod '$url/a/demo/api/v0.5/case/?limit=1' -Headers @{ Authorization = 'ApiKey admin@example.com:emu-admin-key-0001' }"
        'start-up: Import-Module + Connect + first Get-CCCase' = ($connect -f $url) + '; $null = Get-CCCase -First 1'
    }
    $times = @{}
    for ($i = 0; $i -lt $startRuns; $i++) {
        foreach ($k in $startup.Keys) {
            $sw = [Diagnostics.Stopwatch]::StartNew(); & dotnet $pwshDll -NoProfile -NonInteractive -Command $startup[$k]
            if ($LASTEXITCODE -ne 0) { throw "Start-up run '$k' failed." }
            $times[$k] += @([double]$sw.ElapsedMilliseconds)
        }
    }
    $startRows = @($startup.Keys | ForEach-Object { Get-Row $_ $times[$_] 0 })
    $startRows | ForEach-Object { $results.Add($_) }
    $bareMs = $startRows[0].Median
    $notes.Add(("start-up: cold Import-Module plus first call costs {0} ms over bare pwsh (target < 250 ms); any first command (Get-Date) costs {1} ms over it, one Invoke-RestMethod call {2} ms" -f
            ($startRows[3].Median - $bareMs), ($startRows[1].Median - $bareMs), ($startRows[2].Median - $bareMs)))
    # The ratio issue #19 asks for: what the module adds to a fresh pwsh, over what one Invoke-RestMethod call adds.
    $ratio = ($startRows[3].Median - $bareMs) / ($startRows[2].Median - $bareMs)
    $notes.Add(("start-up ratio: import + connect + first call over bare pwsh is {0:0.00}x one Invoke-RestMethod call of the same page (target <= 1.0)" -f $ratio))
    Write-Host ("start-up ratio (module / Invoke-RestMethod, each over bare pwsh -c exit, medians of {0}): {1:0.00}" -f $startRuns, $ratio)
    }
    if ($Section -contains 'provisioning') {
    Write-Host "==> throttled provisioning: $Provision New-CCMobileWorker at $ProvisionRate/s"
    Reset-Emu $url
    $probe = try { Invoke-WebRequest "$url/a/demo/api/v0.5/user/?limit=1" -Headers @{ Authorization = 'ApiKey admin@example.com:emu-admin-key-0001' } -SkipHttpErrorCheck } catch { $null }
    if (-not $probe -or $probe.StatusCode -ne 200) {
        $notes.Add('throttled provisioning: skipped (the emulator has no mobile worker API)')
    } else {
        Invoke-Emu $url 'ratelimit' -Body @{ perSecond = $ProvisionRate } | Out-Null
        $line = Invoke-Child (@"
Import-Module '$ModulePsd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001' -SkipValidation -RequestsPerSecond $ProvisionRate -RequestsPerMinute 0 -RequestsPerHour 0
`$rows = 1..$Provision | ForEach-Object { [pscustomobject]@{ username = "bench`$_"; password = "Pw-bench-`$_"; first_name = 'Bench' } }
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$n = @(`$rows | New-CCMobileWorker).Count
"`$n `$(`$sw.ElapsedMilliseconds)"
"@)
        $n, $ms = $line -split ' '
        $throttled = @(Get-EmuRequests $url | Where-Object status -eq 429).Count
        Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 0 } | Out-Null
        $minimum = ($Provision - $ProvisionRate) / $ProvisionRate * 1000   # the first second's allowance goes at once
        $results.Add([pscustomobject]@{ Name = "New-CCMobileWorker x $Provision at $ProvisionRate/s (server limit $ProvisionRate/s)"; Records = [long]$n; Median = [double]$ms; Min = [double]$ms; Max = [double]$ms })
        $notes.Add(("throttled provisioning: {0} creates took {1:0.00}x the minimum the limit allows ({2:N0} ms; target within 1.10x), {3} responses were 429 (target 0)" -f $n, ([double]$ms / $minimum), $minimum, $throttled))
    }
    }
}
finally { Stop-TestEmulator $emu }

$date = Get-Date -Format 'yyyy-MM-dd'
$table = @("| benchmark | records | median ms | min ms | max ms | records/s (median) |", "|---|---:|---:|---:|---:|---:|")
foreach ($r in $results) {
    $rate = if ($r.Records -gt 1 -and $r.Median -gt 0) { '{0:N0}' -f ($r.Records / $r.Median * 1000) } else { '' }
    $table += "| $($r.Name) | $($r.Records) | $($r.Median) | $($r.Min) | $($r.Max) | $rate |"
}
$md = @("# Benchmarks $date", '', "Machine: $([Environment]::ProcessorCount) cores, $([Runtime.InteropServices.RuntimeInformation]::OSDescription), PowerShell $($PSVersionTable.PSVersion); $Runs runs each (start-up: $startRuns).", '') + $table + @('', '## Ratios', '') + ($notes | ForEach-Object { "- $_" })
$outFile = Join-Path $Root "bench/results/$date.md"
$md -join "`n" | Set-Content $outFile -Encoding utf8
$md -join "`n" | Write-Host
Write-Host "==> written to $outFile"
