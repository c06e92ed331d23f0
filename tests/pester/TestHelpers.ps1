# Shared by the Pester files: start the emulator, drive its control plane, run code in a fresh pwsh.
# The module under test is always the staged folder (COMMCARE_MODULE_PSD1), never bin/.

$script:ModulePsd1 = $env:COMMCARE_MODULE_PSD1
$script:EmulatorDll = $env:COMMCARE_EMULATOR_DLL
if (-not $script:ModulePsd1 -or -not (Test-Path $script:ModulePsd1)) { throw "COMMCARE_MODULE_PSD1 must point at the staged CommCare.psd1 (run through build.ps1 -Task Test)." }
if (-not $script:EmulatorDll -or -not (Test-Path $script:EmulatorDll)) { throw "COMMCARE_EMULATOR_DLL must point at the built emulator." }

# The staged manifest as data. Import-PowerShellDataFile refuses it: RootModule and RequiredAssemblies pick a
# build with `if ($PSEdition ...)`, which module manifests allow.
function Get-ManifestData {
    $sb = [scriptblock]::Create((Get-Content -Raw $script:ModulePsd1))
    $sb.CheckRestrictedLanguage([string[]]@(), [string[]]@('PSEdition', 'PSScriptRoot'), $false)
    & $sb
}

$script:AdminUser = 'admin@example.com'
$script:AdminKey = 'emu-admin-key-0001'

function Start-TestEmulator {
    param([string[]] $Arguments = @())
    $portFile = Join-Path ([IO.Path]::GetTempPath()) ("cc-emu-" + [guid]::NewGuid() + '.url')
    $log = [IO.Path]::GetTempFileName()
    $p = Start-Process dotnet -ArgumentList (@($script:EmulatorDll, '--port-file', $portFile) + $Arguments) -PassThru -RedirectStandardOutput $log
    $sw = [Diagnostics.Stopwatch]::StartNew()
    while (-not (Test-Path $portFile)) {
        if ($p.HasExited) { throw "The emulator exited with code $($p.ExitCode): $(Get-Content $log -Raw)" }
        if ($sw.Elapsed.TotalSeconds -gt 60) { $p.Kill(); throw 'The emulator did not start within 60 s.' }
        Start-Sleep -Milliseconds 20
    }
    [pscustomobject]@{ Process = $p; Url = (Get-Content $portFile -Raw).Trim() }
}

# The usual start of a test file: import the staged module, start an emulator and connect to it (unthrottled, fast
# retries). Returns the emulator: $script:emu = Start-TestEnvironment; $script:url = $emu.Url. AfterAll: Stop-TestEmulator.
function Start-TestEnvironment {
    param([string[]] $Arguments = @())
    Import-Module $script:ModulePsd1 -Force -Global
    $emulator = Start-TestEmulator -Arguments $Arguments
    Connect-TestServer $emulator.Url | Out-Null
    $emulator
}

function Stop-TestEmulator($Emulator) {
    if ($Emulator -and $Emulator.Process -and -not $Emulator.Process.HasExited) { $Emulator.Process.Kill(); $Emulator.Process.WaitForExit(5000) | Out-Null }
}

function Invoke-Emu {
    param([string] $Url, [string] $Path, [string] $Method = 'POST', $Body)
    $params = @{ Uri = "$Url/_emulator/$Path"; Method = $Method }
    if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 5 -Compress); $params.ContentType = 'application/json' }
    Invoke-RestMethod @params
}

# The emulator logs a request just after answering it: give the last answer's log line time to land,
# so it is cleared by this reset rather than counted by the next test.
function Reset-Emu([string] $Url) { Start-Sleep -Milliseconds 50; Invoke-Emu $Url 'reset' | Out-Null }

# Invoke-RestMethod returns a JSON array as one object: unroll it into one log entry per request.
# The emulator logs a request just after answering it: give the last line a moment to land (longer when
# the log is still empty, as on a busy CI machine).
function Get-EmuRequests([string] $Url) {
    Start-Sleep -Milliseconds 25
    $log = @(Invoke-Emu $Url 'requests' -Method GET | ForEach-Object { $_ })
    if ($log.Count -eq 0) { Start-Sleep -Milliseconds 150; $log = @(Invoke-Emu $Url 'requests' -Method GET | ForEach-Object { $_ }) }
    foreach ($r in $log) { $r }
}

function New-AdminCredential([string] $Key = $script:AdminKey) {
    [pscredential]::new($script:AdminUser, (ConvertTo-SecureString $Key -AsPlainText -Force))
}

# An unthrottled session with fast retries: tests check behaviour, not pacing.
function Connect-TestServer {
    param([string] $Url, [string] $Domain = 'demo', [switch] $SkipValidation, [hashtable] $Options = @{})
    $p = @{ Server = $Url; Domain = $Domain; Credential = (New-AdminCredential); PassThru = $true
            RequestsPerSecond = 0; RequestsPerMinute = 0; RequestsPerHour = 0; MaxConcurrency = 4
            RetryBaseDelay = 0.01; MaxRetryWait = 1; SkipValidation = [bool]$SkipValidation }
    foreach ($k in $Options.Keys) { $p[$k] = $Options[$k] }
    Connect-CCServer @p
}

# Runs a script in a new pwsh process (a clean assembly state) and returns its stdout lines.
function Invoke-FreshPwsh {
    param([string] $Script)
    $file = Join-Path ([IO.Path]::GetTempPath()) ("cc-fresh-" + [guid]::NewGuid() + '.ps1')
    Set-Content -Path $file -Value $Script -Encoding utf8
    try {
        $dll = Join-Path $PSHOME 'pwsh.dll'
        $out = if (Test-Path $dll) { & dotnet $dll -NoProfile -NonInteractive -File $file 2>&1 } else { & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $file 2>&1 }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($out | ForEach-Object { "$_" }) }
    }
    finally { Remove-Item $file -ErrorAction SilentlyContinue }
}

# The oracle: every record of a list, fetched raw with Invoke-RestMethod (independent of the module).
function Get-RawAll {
    param([string] $Url, [string] $Resource, [string] $Query = '', [int] $Limit = 1000, [string] $Domain = 'demo')
    $headers = @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" }
    $all = [Collections.Generic.List[object]]::new()
    $offset = 0
    while ($true) {
        $r = Invoke-RestMethod -Uri "$Url/a/$Domain/api/v0.5/$Resource/?limit=$Limit&offset=$offset&$Query" -Headers $headers
        foreach ($o in $r.objects) { $all.Add($o) }
        if (-not $r.meta.next) { break }
        $offset += $Limit
    }
    , $all.ToArray()
}

# A minimal .xlsx written here (not by the module): one sheet of inline strings.
function New-TestXlsx([string] $Path, [object[][]] $Rows, [string] $Sheet = 'Sheet1') {
    Add-Type -AssemblyName System.IO.Compression
    $fs = [IO.File]::Create($Path)
    $zip = [IO.Compression.ZipArchive]::new($fs, [IO.Compression.ZipArchiveMode]::Create)
    function Add([string] $name, [string] $text) { $e = $zip.CreateEntry($name); $w = [IO.StreamWriter]::new($e.Open()); $w.Write($text); $w.Dispose() }
    Add '[Content_Types].xml' '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    Add '_rels/.rels' '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    Add 'xl/workbook.xml' "<?xml version=`"1.0`" encoding=`"UTF-8`"?><workbook xmlns=`"http://schemas.openxmlformats.org/spreadsheetml/2006/main`" xmlns:r=`"http://schemas.openxmlformats.org/officeDocument/2006/relationships`"><sheets><sheet name=`"$Sheet`" sheetId=`"1`" r:id=`"rId1`"/></sheets></workbook>"
    Add 'xl/_rels/workbook.xml.rels' '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    $sb = [Text.StringBuilder]::new('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    for ($r = 0; $r -lt $Rows.Count; $r++) {
        [void]$sb.Append("<row r=`"$($r + 1)`">")
        for ($c = 0; $c -lt $Rows[$r].Count; $c++) {
            $ref = [char](65 + $c) + ($r + 1)
            [void]$sb.Append("<c r=`"$ref`" t=`"inlineStr`"><is><t>$([Security.SecurityElement]::Escape([string]$Rows[$r][$c]))</t></is></c>")
        }
        [void]$sb.Append('</row>')
    }
    [void]$sb.Append('</sheetData></worksheet>')
    Add 'xl/worksheets/sheet1.xml' $sb.ToString()
    $zip.Dispose(); $fs.Dispose()
}

# build.ps1 -Task Emulator/Demo as a user runs it (Demo.Tests, GettingStarted.Tests).
$script:BuildPs1 = Join-Path $PSScriptRoot '../../build.ps1'
# Starts build.ps1 in its own pwsh with stdout/stderr redirected; lines are collected as they come.
# -NoBuild: the suite's build is the module under test; building again would replace it while tests run.
# -Port 0: a free port, as other tests and people on this machine may hold 8700.
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

# A real PostgreSQL 15 server for the database tests: a fresh cluster in a temporary folder on a free loopback port,
# password logins only, stopped and deleted by Stop-TestPostgres. PostgreSQL refuses to run as root, so as root it
# runs as Debian's 'postgres' account (the same as tests/CommCare.Database.Tests/PostgresServer.cs).
function Start-TestPostgres {
    $bin = @($env:COMMCARE_PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin') |
        Where-Object { $_ -and (Test-Path (Join-Path $_ 'initdb')) -and (Test-Path (Join-Path $_ 'pg_ctl')) } | Select-Object -First 1
    if (-not $bin) { throw 'PostgreSQL 15 is not installed (initdb and pg_ctl not found): .ci/run installs postgresql-15; or set COMMCARE_PG_BIN.' }
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('cc-pg-' + [guid]::NewGuid().ToString('N').Substring(0, 12))
    New-Item -ItemType Directory -Path $dir | Out-Null
    $password = 'Pester-Adm1n-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Set-Content (Join-Path $dir 'pw') $password
    $runAs = if ([Environment]::UserName -eq 'root') { 'postgres' } else { $null }
    function Invoke-AsServer([string] $File, [string[]] $Arguments) {
        if ($runAs) { & runuser -u $runAs -- $File @Arguments } else { & $File @Arguments }
        if ($LASTEXITCODE -ne 0) { throw "$File failed ($LASTEXITCODE): $(Get-Content (Join-Path $dir 'log') -Raw -ErrorAction SilentlyContinue)" }
    }
    if ($runAs) { & chown -R $runAs $dir }
    $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
    Invoke-AsServer (Join-Path $bin 'initdb') @('-D', "$dir/data", '-U', 'cc_admin', "--pwfile=$dir/pw", '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync') | Out-Null
    Invoke-AsServer (Join-Path $bin 'pg_ctl') @('-D', "$dir/data", '-l', "$dir/log", '-w', '-t', '60', '-o', "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off", 'start') | Out-Null
    [pscustomobject]@{ Bin = $bin; Dir = $dir; Port = $port; Password = $password; RunAs = $runAs }
}

function Stop-TestPostgres($Pg) {
    if (-not $Pg) { return }
    $stop = @('-D', "$($Pg.Dir)/data", '-m', 'immediate', '-w', 'stop')
    if ($Pg.RunAs) { & runuser -u $Pg.RunAs -- (Join-Path $Pg.Bin 'pg_ctl') @stop | Out-Null } else { & (Join-Path $Pg.Bin 'pg_ctl') @stop | Out-Null }
    Remove-Item $Pg.Dir -Recurse -Force -ErrorAction SilentlyContinue
}

function Get-PgConnectionString($Pg, [string] $Database = 'postgres', [string] $Password = $Pg.Password) {
    "Host=127.0.0.1;Port=$($Pg.Port);Database=$Database;Username=cc_admin;Password=$Password;Pooling=false"
}

# A new empty database (PostgreSQL) or file (SQLite) for one export; returns its connection string.
function New-TestDatabase([string] $Provider, $Pg) {
    if ($Provider -eq 'Sqlite') { return "Data Source=$(Join-Path ([IO.Path]::GetTempPath()) ('cc-db-' + [guid]::NewGuid().ToString('N') + '.db'))" }
    $name = 't_' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $env:PGPASSWORD = $Pg.Password
    & (Join-Path $Pg.Bin 'psql') -h 127.0.0.1 -p $Pg.Port -U cc_admin -d postgres -q -c "CREATE DATABASE $name" | Out-Null
    Remove-Item Env:PGPASSWORD
    Get-PgConnectionString $Pg $name
}

# A connection through the drivers the module ships, loaded by its first database export into the module's
# private load context (where PowerShell's [TypeName] does not look: found by reflection).
function New-TestDbConnection([string] $Provider, [string] $ConnectionString) {
    $asmName, $typeName = if ($Provider -eq 'Sqlite') { 'Microsoft.Data.Sqlite', 'Microsoft.Data.Sqlite.SqliteConnection' } else { 'Npgsql', 'Npgsql.NpgsqlConnection' }
    $asm = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $asmName } | Select-Object -First 1
    if (-not $asm) { throw "$asmName is not loaded: run a database export first." }
    [Activator]::CreateInstance($asm.GetType($typeName, $true), [object[]]@($ConnectionString))
}

# Runs SQL through the drivers the module ships, rows as arrays.
function Invoke-TestSql([string] $Provider, [string] $ConnectionString, [string] $Sql) {
    $c = New-TestDbConnection $Provider $ConnectionString
    try {
        $c.Open()
        $cmd = $c.CreateCommand(); $cmd.CommandText = $Sql
        $r = $cmd.ExecuteReader()
        while ($r.Read()) { $row = [object[]]::new($r.FieldCount); [void]$r.GetValues($row); , $row }
        $r.Dispose()
    } finally { $c.Dispose() }
}

# Every table's rows as sorted text lines "table|column=value|…" (columns by name, empty values left out, the
# state table left out): two databases hold the same data exactly when their dumps are equal, whatever order
# their columns were added in.
function Get-TestDatabaseDump([string] $Provider, [string] $ConnectionString) {
    $list = if ($Provider -eq 'Sqlite') { "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'commcare_export_state' ORDER BY name" }
            else { "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'commcare_export_state' ORDER BY tablename" }
    $tables = Invoke-TestSql $Provider $ConnectionString $list | ForEach-Object { $_[0] }
    $inv = [Globalization.CultureInfo]::InvariantCulture
    $c = New-TestDbConnection $Provider $ConnectionString
    $c.Open()
    try {
        $lines = foreach ($t in $tables) {
            $cmd = $c.CreateCommand(); $cmd.CommandText = "SELECT * FROM `"$($t.Replace('"', '""'))`""
            $r = $cmd.ExecuteReader()
            $names = 0..($r.FieldCount - 1) | ForEach-Object { $r.GetName($_) }
            $order = 0..($r.FieldCount - 1) | Sort-Object { $names[$_] }
            while ($r.Read()) {
                $cells = foreach ($i in $order) {
                    if ($r.IsDBNull($i)) { continue }
                    $v = $r.GetValue($i)
                    $text = if ($v -is [datetime]) { $v.ToUniversalTime().ToString('o', $inv) } else { [Convert]::ToString($v, $inv) }
                    if ($text -ne '') { $names[$i] + '=' + $text }
                }
                $t + '|' + ($cells -join '|')
            }
            $r.Dispose()
        }
    } finally { $c.Dispose() }
    [string[]]($lines | Sort-Object -CaseSensitive)
}
