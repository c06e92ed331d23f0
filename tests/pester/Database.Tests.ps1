# Export-CCForm / Export-CCCase -ConnectionString: forms and cases kept in a real SQLite file and a real
# PostgreSQL 15 server (started here), exact after every run, whatever happened to the last one.
# Sizes: COMMCARE_DB_TEST_FORMS / COMMCARE_DB_TEST_CASES (issue #17's full scale is 20000 / 5000).

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $env:COMMCARE_MODULE_PSD1 -Force
    $script:forms = if ($env:COMMCARE_DB_TEST_FORMS) { [int]$env:COMMCARE_DB_TEST_FORMS } else { 3000 }
    $script:cases = if ($env:COMMCARE_DB_TEST_CASES) { [int]$env:COMMCARE_DB_TEST_CASES } else { 600 }
    $script:emu = Start-TestEmulator @('--cases', "$cases", '--forms', "$forms", '--survey-forms', "$([Math]::Max(100, [int]($forms / 8)))")
    $script:url = $emu.Url
    Connect-TestServer $url | Out-Null
    $script:pg = Start-TestPostgres

    # The form types and case types the emulator serves, for comparing counts with what the database holds.
    function Get-MainTables([string] $Provider, [string] $Cs) {
        $all = if ($Provider -eq 'Sqlite') { Invoke-TestSql $Provider $Cs "SELECT name FROM sqlite_master WHERE type = 'table'" }
               else { Invoke-TestSql $Provider $Cs "SELECT tablename FROM pg_tables WHERE schemaname = 'public'" }
        $all | ForEach-Object { $_[0] } | Where-Object { $_ -ne 'commcare_export_state' }
    }
    function Get-Count([string] $Provider, [string] $Cs, [string] $Sql) { [long](Invoke-TestSql $Provider $Cs $Sql)[0][0] }

    # A fresh pwsh (the module loaded as a user's would be) running a script; returns the process, not waiting.
    function Start-ChildPwsh([string] $Script) {
        $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
        $dll = Join-Path $PSHOME 'pwsh.dll'
        $exe, $pre = if (Test-Path $dll) { 'dotnet', @($dll) } else { (Join-Path $PSHOME 'pwsh'), @() }
        $out = [IO.Path]::GetTempFileName()
        $p = Start-Process $exe -ArgumentList (@($pre) + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)) -PassThru -RedirectStandardOutput $out -RedirectStandardError "$out.err"
        $p | Add-Member -NotePropertyName Output -NotePropertyValue $out -PassThru
    }
    $script:childPrelude = @"
`$ErrorActionPreference = 'Stop'
. '$(Join-Path $PSScriptRoot 'TestHelpers.ps1')'
Import-Module '$env:COMMCARE_MODULE_PSD1'
Connect-TestServer '$url' | Out-Null
"@

    function New-FollowupXml([string] $Id, [string] $Note) {
        @"
<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://openrosa.org/formdesigner/FOLLOWUP" name="Follow-up" uiVersion="1" version="1">
  <note>$Note</note>
  <n0:meta xmlns:n0="http://openrosa.org/jr/xforms">
    <n0:deviceID>pester</n0:deviceID>
    <n0:timeStart>2026-01-01T10:00:00.000000Z</n0:timeStart>
    <n0:timeEnd>2026-01-01T10:05:00.000000Z</n0:timeEnd>
    <n0:username>worker1</n0:username>
    <n0:userID>u1</n0:userID>
    <n0:instanceID>$Id</n0:instanceID>
  </n0:meta>
</data>
"@
    }
}

AfterAll {
    Stop-TestEmulator $emu
    Stop-TestPostgres $pg
}

Describe 'Export-CCForm and Export-CCCase into a database (<Provider>)' -ForEach @(@{ Provider = 'Sqlite' }, @{ Provider = 'PostgreSql' }) {
    It 'stores every form and case once with exact repeat rows; after new, edited, archived and closed records a second run equals a fresh full export' {
        $cs = New-TestDatabase $Provider $pg
        $f = Export-CCForm -ConnectionString $cs -Provider $Provider -PassThru
        $c = Export-CCCase -ConnectionString $cs -Provider $Provider -PassThru
        $f.Records | Should -BeGreaterThan 0
        $c.Rows | Should -Be $c.Records

        # Counts against the API itself (archived forms included: their archived column marks them).
        $apiForms = @(Get-CCForm -IncludeArchived)
        $apiCases = @(Get-CCCase)
        $f.Records | Should -Be $apiForms.Count
        $c.Records | Should -Be $apiCases.Count
        $tables = Get-MainTables $Provider $cs
        $formRows = 0; $caseRows = 0
        foreach ($t in $tables | Where-Object { $_ -notlike '*.*' }) {
            $n = Get-Count $Provider $cs "SELECT COUNT(*) FROM `"$t`""
            $hasForm = @(Invoke-TestSql $Provider $cs $(if ($Provider -eq 'Sqlite') { "SELECT COUNT(*) FROM pragma_table_info('$t') WHERE name = 'formid'" } else { "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = '$t' AND column_name = 'formid'" }))[0][0]
            $key = if ($hasForm) { 'formid' } else { 'caseid' }
            Get-Count $Provider $cs "SELECT COUNT(DISTINCT $key) FROM `"$t`"" | Should -Be $n -Because "no $key is stored twice in $t"
            if ($hasForm) { $formRows += $n } else { $caseRows += $n }
        }
        $formRows | Should -Be $apiForms.Count
        $caseRows | Should -Be $apiCases.Count

        # Repeat rows: the same as the file export of the same forms writes.
        $dir = Join-Path ([IO.Path]::GetTempPath()) ('cc-csv-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $dir | Out-Null
        Export-CCForm -Path $dir -Format Csv -IncludeArchived
        $repeatTables = @($tables | Where-Object { $_ -like '*.*' })
        $repeatTables.Count | Should -BeGreaterThan 0
        foreach ($t in $repeatTables) {
            $csv = Join-Path $dir ($t + '.csv')
            Test-Path $csv | Should -BeTrue -Because "the file export has $t too"
            Get-Count $Provider $cs "SELECT COUNT(*) FROM `"$t`"" | Should -Be @(Import-Csv $csv).Count -Because "$t holds every repeat entry once"
        }
        Remove-Item $dir -Recurse -Force

        # Changes on the server: new forms, edited forms, archived forms, closed cases.
        $followups = @($apiForms | Where-Object { $_.Xmlns -eq 'http://openrosa.org/formdesigner/FOLLOWUP' -and -not $_.Archived })
        $newIds = 1..25 | ForEach-Object { [guid]::NewGuid().ToString() }
        foreach ($id in $newIds) { Send-CCFormSubmission -Xml (New-FollowupXml $id 'new') | Out-Null }
        $edited = @($followups | Select-Object -First 10)
        foreach ($e in $edited) { Send-CCFormSubmission -Xml (New-FollowupXml $e.Id 'edited') | Out-Null }
        $archived = @($followups | Select-Object -Skip 10 -First 5)
        (Invoke-Emu $url 'forms/archive' -Body @{ ids = @($archived.Id) }).changed | Should -Be 5
        $toClose = @($apiCases | Where-Object { -not $_.Closed } | Select-Object -First 5)
        foreach ($x in $toClose) { Close-CCCase -CaseId $x.Id | Out-Null }

        $f2 = Export-CCForm -ConnectionString $cs -Provider $Provider -PassThru
        $c2 = Export-CCCase -ConnectionString $cs -Provider $Provider -PassThru
        $f2.Records | Should -BeLessThan ($f.Records / 2) -Because 'the second run reads only what changed'
        $f2.Records | Should -BeGreaterOrEqual 40
        $c2.Records | Should -BeGreaterOrEqual 5

        $fresh = New-TestDatabase $Provider $pg
        Export-CCForm -ConnectionString $fresh -Provider $Provider -Full
        Export-CCCase -ConnectionString $fresh -Provider $Provider -Full
        $a = Get-TestDatabaseDump $Provider $cs
        $b = Get-TestDatabaseDump $Provider $fresh
        (Compare-Object $a $b | ForEach-Object { $_.SideIndicator + ' ' + $_.InputObject }) -join "`n" | Should -BeNullOrEmpty
        $a.Count | Should -Be $b.Count

        $bool = if ($Provider -eq 'Sqlite') { '1' } else { 'true' }
        foreach ($x in $archived) { Get-Count $Provider $cs "SELECT COUNT(*) FROM `"Follow-up Visit`" WHERE formid = '$($x.Id)' AND archived = $bool" | Should -Be 1 }
        foreach ($x in $edited) { Get-Count $Provider $cs "SELECT COUNT(*) FROM `"Follow-up Visit`" WHERE formid = '$($x.Id)' AND `"form.note`" = 'edited'" | Should -Be 1 }
        foreach ($x in $toClose) { Get-Count $Provider $cs "SELECT COUNT(*) FROM `"$($x.CaseType)`" WHERE caseid = '$($x.Id)' AND closed = $bool" | Should -Be 1 }
    }

    It 'three kill -9 at random points of a run, then a run to the end: the database equals a fresh full export' {
        $cs = New-TestDatabase $Provider $pg
        $rng = [Random]::new()
        $last = $null
        # Every form page answers 150 ms late, so each run is still going when it is killed.
        Invoke-Emu $url 'faults' -Body @{ seed = 3; rate = 1.0; kinds = @('slow'); slowMs = 150; pathContains = '/form/' } | Out-Null
        for ($k = 1; $k -le 3; $k++) {
            # Small pages: many transactions, so the kill lands between or inside them.
            $p = Start-ChildPwsh ($childPrelude + "`nExport-CCForm -ConnectionString '$cs' -Provider $Provider -PageSize 50")
            $sw = [Diagnostics.Stopwatch]::StartNew()
            do {
                Start-Sleep -Milliseconds 50
                $now = try { @(Invoke-TestSql $Provider $cs "SELECT position FROM commcare_export_state")[0][0] } catch { $null }
                if ($p.HasExited) { Invoke-Emu $url 'faults' -Method DELETE | Out-Null; throw "The export ended by itself before kill $k ($(Get-Content $p.Output -Raw) $(Get-Content "$($p.Output).err" -Raw))." }
                if ($sw.Elapsed.TotalSeconds -gt 180) { $p.Kill(); Invoke-Emu $url 'faults' -Method DELETE | Out-Null; throw "Run $k stored nothing new in 180 s." }
            } while ($null -eq $now -or $now -eq $last)
            Start-Sleep -Milliseconds $rng.Next(0, 300)
            $p.HasExited | Should -BeFalse -Because "kill $k must interrupt a running export"
            $p.Kill()   # SIGKILL: no cleanup of any kind
            $p.WaitForExit()
            $last = @(Invoke-TestSql $Provider $cs "SELECT position FROM commcare_export_state")[0][0]
        }
        Invoke-Emu $url 'faults' -Method DELETE | Out-Null
        Export-CCForm -ConnectionString $cs -Provider $Provider

        $fresh = New-TestDatabase $Provider $pg
        Export-CCForm -ConnectionString $fresh -Provider $Provider
        $a = Get-TestDatabaseDump $Provider $cs
        $b = Get-TestDatabaseDump $Provider $fresh
        (Compare-Object $a $b | ForEach-Object { $_.SideIndicator + ' ' + $_.InputObject }) -join "`n" | Should -BeNullOrEmpty
        $a.Count | Should -Be $b.Count
    }

    It 'refuses a table whose columns conflict with the export, naming the column, and leaves it alone' {
        $cs = New-TestDatabase $Provider $pg
        Invoke-TestSql $Provider $cs 'CREATE TABLE "Register" (formid TEXT PRIMARY KEY, received_on INTEGER)' | Out-Null
        { Export-CCForm -ConnectionString $cs -Provider $Provider -Xmlns http://openrosa.org/formdesigner/REGISTER } | Should -Throw "*'Register'*'received_on'*"
        $cols = if ($Provider -eq 'Sqlite') { "SELECT COUNT(*) FROM pragma_table_info('Register')" } else { "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'Register'" }
        Get-Count $Provider $cs $cols | Should -Be 2
    }
}

Describe 'Database export: connection errors and loading' {
    It 'a wrong PostgreSQL password is one error naming the connection, without the password, and no CommCare request is made' {
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        $bad = Get-PgConnectionString $pg 'postgres' 'Wr0ng-Secret-Pw-123'
        $Error.Clear()
        $caught = $null
        try { Export-CCForm -Provider PostgreSql -ConnectionString $bad } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $Error.Count | Should -Be 1
        $caught.FullyQualifiedErrorId | Should -BeLike 'CommCare.Authentication*'
        $caught.Exception.Message | Should -BeLike "PostgreSQL database 'Host=127.0.0.1;Port=$($pg.Port);*Password=*****;*': the password was refused*"
        ($caught | Out-String) + $caught.Exception.ToString() + ($caught.TargetObject | Out-String) | Should -Not -Match 'Wr0ng-Secret-Pw-123'
        @(Get-EmuRequests $url | Where-Object path -like '/a/*').Count | Should -Be 0
    }

    It 'an unreachable PostgreSQL server is one network error before any CommCare request' {
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        { Export-CCCase -Provider PostgreSql -ConnectionString "Host=127.0.0.1;Port=$port;Database=x;Username=u;Password=Secret-9" } | Should -Throw '*cannot be reached*'
        @(Get-EmuRequests $url | Where-Object path -like '/a/*').Count | Should -Be 0
    }

    It 'loads SQLite and Npgsql only for a database export, in the module''s load context, with the native library the module ships' {
        $db = Join-Path ([IO.Path]::GetTempPath()) ('cc-db-' + [guid]::NewGuid().ToString('N') + '.db')
        $p = Start-ChildPwsh ($childPrelude + @"

'before=' + @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -match 'Sqlite|Npgsql|CommCare.Database' }).Count
Get-CCCase | Select-Object -First 1 | Out-Null
'afterlist=' + @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -match 'Sqlite|Npgsql|CommCare.Database' }).Count
Export-CCCase -ConnectionString 'Data Source=$db' | Out-Null
`$asm = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Microsoft.Data.Sqlite' }
'context=' + [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$asm).Name
'native=' + ((Get-Content "/proc/`$PID/maps" | Where-Object { `$_ -match 'e_sqlite3' } | Select-Object -First 1) -replace '^.* ', '')
"@)
        $p.WaitForExit(300000) | Should -BeTrue
        $out = Get-Content $p.Output
        $p.ExitCode | Should -Be 0 -Because (Get-Content "$($p.Output).err" -Raw)
        $out | Should -Contain 'before=0'
        $out | Should -Contain 'afterlist=0'
        $out | Should -Contain 'context=CommCare'
        $stage = Split-Path $env:COMMCARE_MODULE_PSD1
        $arch = if ([Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -eq 'Arm64') { 'arm64' } else { 'x64' }
        ($out | Where-Object { $_ -like 'native=*' }) | Should -Be "native=$(Join-Path $stage "net8.0/dependencies/database/runtimes/linux-$arch/native/libe_sqlite3.so")"
        Test-Path $db | Should -BeTrue
    }

    It 'ships the native SQLite library for every platform the module supports, in each build, apart from the client''s own files' {
        $stage = Split-Path $env:COMMCARE_MODULE_PSD1
        foreach ($build in 'net8.0', 'netstandard2.0') {
            foreach ($rid in 'win-x64', 'win-x86', 'win-arm64', 'linux-x64', 'linux-arm64', 'linux-musl-x64', 'linux-musl-arm64', 'osx-x64', 'osx-arm64') {
                $file = if ($rid -like 'win-*') { 'e_sqlite3.dll' } elseif ($rid -like 'osx-*') { 'libe_sqlite3.dylib' } else { 'libe_sqlite3.so' }
                Test-Path (Join-Path $stage "$build/dependencies/database/runtimes/$rid/native/$file") | Should -BeTrue -Because "$rid needs its e_sqlite3 in $build"
            }
            $db = (Get-ChildItem (Join-Path $stage "$build/dependencies/database") -Filter *.dll).Name
            $db | Should -Contain 'CommCare.Database.dll'
            $db | Should -Contain 'Npgsql.dll'
            $db | Should -Contain 'Microsoft.Data.Sqlite.dll'
            (Get-ChildItem (Join-Path $stage "$build/dependencies") -Filter *.dll).Name | Should -Not -Contain 'Npgsql.dll'
        }
    }
}
