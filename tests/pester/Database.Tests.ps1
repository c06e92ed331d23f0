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
}
