# Issue 16: forms and cases as flat tables (Export-CCForm, Export-CCCase, ConvertTo-CCTable), checked by
# opening the files a user gets, against what Get-CCForm / Get-CCApplication / Get-CCCase say.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:emu = Start-TestEmulator @('--cases', '300', '--forms', '300', '--survey-forms', '5000')
    $script:url = $emu.Url
    Connect-TestServer $url | Out-Null
    $script:survey = 'http://openrosa.org/formdesigner/SURVEY'
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ('cc-flat-' + [guid]::NewGuid())
    New-Item -ItemType Directory $dir | Out-Null

    # The rows of one sheet of a workbook, as arrays of cell text (empty cells as ''), header first.
    function Read-TestXlsx([string] $Path, [string] $Sheet) {
        Add-Type -AssemblyName System.IO.Compression
        $zip = [IO.Compression.ZipFile]::OpenRead($Path)
        try {
            $rd = [IO.StreamReader]::new($zip.GetEntry('xl/workbook.xml').Open()); [xml] $wb = $rd.ReadToEnd(); $rd.Dispose()
            $names = @($wb.workbook.sheets.sheet | ForEach-Object name)
            $i = [array]::IndexOf($names, $Sheet)
            if ($i -lt 0) { throw "No sheet '$Sheet' in $Path (sheets: $($names -join ', '))" }
            $rd = [IO.StreamReader]::new($zip.GetEntry("xl/worksheets/sheet$($i + 1).xml").Open()); [xml] $ws = $rd.ReadToEnd(); $rd.Dispose()
            foreach ($row in $ws.worksheet.sheetData.row) {
                $cells = [Collections.Generic.List[string]]::new()
                foreach ($c in @($row.c)) {
                    if ($null -eq $c) { continue }
                    $col = 0; foreach ($ch in ($c.r -replace '\d', '').ToCharArray()) { $col = $col * 26 + ([int]$ch - 64) }
                    while ($cells.Count -lt $col - 1) { $cells.Add('') }
                    $cells.Add($(if ($c.t -eq 'inlineStr') { $c.is.t.InnerText ?? [string]$c.is.t } else { [string]$c.v }))
                }
                , $cells.ToArray()
            }
        } finally { $zip.Dispose() }
    }

    # CSV rows as arrays in header order (Import-Csv would merge duplicate names, and we want the text as written).
    function Read-TestCsv([string] $Path) {
        $rows = Import-Csv $Path
        $header = (Get-Content $Path -TotalCount 1) -split ','
        , $header
        foreach ($r in $rows) { , @($header | ForEach-Object { $v = $r.$_; if ($v -match "^'[=+\-@\t\r]") { $v.Substring(1) } else { $v } }) }
    }

    function Text($v) { if ($null -eq $v) { '' } elseif ($v -is [bool]) { "$v".ToLowerInvariant() } else { [string]$v } }

    # Rows of a JSON export, flattened back: the main rows, then (by table path) the repeat rows in order.
    function Read-TestJson([string] $Path, [string[]] $MainHeader, [hashtable] $ChildHeaders) {
        $records = Get-Content $Path -Raw | ConvertFrom-Json -DateKind String
        $out = @{ '' = [Collections.Generic.List[object]]::new() }
        foreach ($k in $ChildHeaders.Keys) { $out[$k] = [Collections.Generic.List[object]]::new() }
        function Visit($o, [string[]] $header, [string] $key) {
            $out[$key].Add(@($header | ForEach-Object { Text $o.$_ }))
            foreach ($child in $ChildHeaders.Keys) {
                $arr = $o.PSObject.Properties[$child]
                if ($arr) { foreach ($e in $arr.Value) { Visit $e $ChildHeaders[$child] $child } }
            }
        }
        foreach ($r in $records) { Visit $r $MainHeader '' }
        $out
    }

    # What the exports must hold, from the module's own readers.
    $script:forms = @(Get-CCForm -Xmlns $survey)
    $script:members = 0; $script:visits = 0
    foreach ($f in $forms) {
        $m = $f.Form['members']
        # one entry is an object, several an array: the pipeline keeps a dictionary whole and spreads a list
        $list = @($m | Where-Object { $null -ne $_ })
        $script:members += $list.Count
        foreach ($e in $list) {
            $v = $e['visits']
            $script:visits += @($v | Where-Object { $null -ne $_ }).Count
        }
    }
    $app = Get-CCApplication | Where-Object { $_.Modules.Forms.Xmlns -contains $survey }
    $builds = @($app) + @($app.Versions | ForEach-Object { Get-CCApplication -Id $_.Id })
    $script:questionColumns = @($builds.Modules.Forms | Where-Object Xmlns -eq $survey | ForEach-Object Questions |
        Where-Object { $_.Type -notin 'Group', 'Repeat', 'Trigger' -and -not $_.Repeat } |
        ForEach-Object { 'form.' + ($_.Value -replace '^/[^/]+/', '' -replace '/', '.') } | Select-Object -Unique)
}
AfterAll { Stop-TestEmulator $emu; Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Export-CCForm: 5,000 forms with a group, a repeat and a nested repeat' {
    BeforeAll {
        Export-CCForm -Xmlns $survey -Path (Join-Path $dir 's.csv')
        Export-CCForm -Xmlns $survey -Path (Join-Path $dir 's.xlsx')
        Export-CCForm -Xmlns $survey -Path (Join-Path $dir 's.json')
        $script:csv = @(Read-TestCsv (Join-Path $dir 's.csv'))
        $script:header = $csv[0]
        $script:rows = $csv | Select-Object -Skip 1
    }

    It 'the emulator gives the case the issue asks for (5,000 forms, the first 1,000 lacking two questions)' {
        $forms.Count | Should -Be 5000
        @($forms | Select-Object -First 1000 | Where-Object { $_.Form['respondent'].ContainsKey('education') }).Count | Should -Be 0
        $members | Should -BeGreaterThan 1000
        $visits | Should -BeGreaterThan 1000
    }

    It 'has every question of every build as a column from the first row, in the app''s order, before HQ''s system columns' {
        $questionColumns.Count | Should -BeGreaterOrEqual 20
        foreach ($q in $questionColumns) { $header | Should -Contain $q }
        $header[0..1] | Should -Be @('number', 'formid')
        $header.IndexOf('form.respondent.education') | Should -BeLessThan $header.IndexOf('completed_time')
        foreach ($n in 'completed_time', 'started_time', 'username', 'userID', 'received_on') { $header | Should -Contain $n }
        # the answer no build lists comes after the system columns
        $header.IndexOf('form.legacy_code') | Should -BeGreaterThan $header.IndexOf('received_on')
    }

    It 'has one row per form, none missing or repeated, in the order Get-CCForm gives them' {
        $rows.Count | Should -Be 5000
        $ids = $rows | ForEach-Object { $_[1] }
        ($ids | Select-Object -Unique).Count | Should -Be 5000
        $ids | Should -Be ($forms.Id)
        $rows[0][0] | Should -Be '0'
        $rows[4999][0] | Should -Be '4999'
    }

    It 'puts each answer in its column (groups flattened with dots, multi-selects as space-separated text)' {
        $i = $header.IndexOf('form.respondent.contact.village')
        $j = $header.IndexOf('form.symptoms')
        for ($k = 0; $k -lt 5000; $k += 97) {
            $rows[$k][$i] | Should -Be ([string]$forms[$k].Form['respondent']['contact']['village'])
            $rows[$k][$j] | Should -Be ([string]$forms[$k].Form['symptoms'])
        }
        @($rows | Where-Object { $_[$j] -match ' ' }).Count | Should -BeGreaterThan 0
    }

    It 'writes repeat groups as child tables with the form''s formid and HQ''s dotted number, nested repeats included' {
        $m = @(Read-TestCsv (Join-Path $dir 's.members.csv'))
        $v = @(Read-TestCsv (Join-Path $dir 's.members.visits.csv'))
        $m.Count - 1 | Should -Be $members
        $v.Count - 1 | Should -Be $visits
        $m[0][0..1] | Should -Be @('number', 'formid')
        $m[0] | Should -Contain 'form.members.member_name'
        $m[0] | Should -Contain 'form.members.health.muac_cm'
        $v[0] | Should -Contain 'form.members.visits.visit_date'
        $m[1][0] | Should -Match '^\d+\.0$'
        $v[1][0] | Should -Match '^\d+\.\d+\.0$'
        # every repeat row points at a form of the main table, and its number starts with that form's number
        $numberOf = @{}; foreach ($r in $rows) { $numberOf[$r[1]] = $r[0] }
        foreach ($r in ($m | Select-Object -Skip 1)) { $r[0] | Should -BeLike "$($numberOf[$r[1]]).*" }
    }

    It 'writes the same rows to .xlsx (a sheet per table) and .json (repeats nested)' {
        $sheet = @(Read-TestXlsx (Join-Path $dir 's.xlsx') 'Household Survey')
        $sheet.Count | Should -Be 5001
        ($sheet[0] -join '|') | Should -Be ($header -join '|')
        foreach ($k in 1, 2, 1001, 2500, 5000) { (@($sheet[$k]) + @('') * ($header.Count - $sheet[$k].Count) -join '|') | Should -Be ($csv[$k] -join '|') }
        $mx = @(Read-TestXlsx (Join-Path $dir 's.xlsx') 'Household Survey.members')
        $mx.Count - 1 | Should -Be $members
        $vx = @(Read-TestXlsx (Join-Path $dir 's.xlsx') 'Household Survey.members.visits')
        $vx.Count - 1 | Should -Be $visits

        $mh = (Get-Content (Join-Path $dir 's.members.csv') -TotalCount 1) -split ','
        $vh = (Get-Content (Join-Path $dir 's.members.visits.csv') -TotalCount 1) -split ','
        $json = Read-TestJson (Join-Path $dir 's.json') $header @{ 'form.members' = $mh; 'form.members.visits' = $vh }
        $json[''].Count | Should -Be 5000
        $json['form.members'].Count | Should -Be $members
        $json['form.members.visits'].Count | Should -Be $visits
        foreach ($k in 0, 1, 1000, 4999) { ($json[''][$k] -join '|') | Should -Be ($rows[$k] -join '|') }
        $mc = @(Read-TestCsv (Join-Path $dir 's.members.csv'))
        foreach ($k in 0, 7, 500) { ($json['form.members'][$k] -join '|') | Should -Be ($mc[$k + 1] -join '|') }
    }

    It 'ConvertTo-CCTable gives the same rows as objects, repeat rows carrying their table name' {
        $objects = @(Get-CCForm -Xmlns $survey -First 40 | ConvertTo-CCTable)
        $main = @($objects | Where-Object Table -eq 'Household Survey')
        $main.Count | Should -Be 40
        $main[0].PSObject.TypeNames[0] | Should -Be 'CommCare.TableRow#Household Survey'
        foreach ($k in 0, 5, 39) {
            (@($header | ForEach-Object { $v = $main[$k].$_; if ($v -is [string] -and $v -match "^'[=+\-@]") { $v } else { Text $v } }) -join '|') | Should -Be ($rows[$k] -join '|')
        }
        $repeat = @($objects | Where-Object Table -eq 'Household Survey.members')
        $repeat.Count | Should -BeGreaterThan 0
        $repeat[0].formid | Should -BeIn $main.formid
    }
}

Describe 'CSV cells that a spreadsheet would run' {
    It 'writes an answer starting with =HYPERLINK( as text, and as it is with -NoFormulaEscape' {
        $raw = Get-Content (Join-Path $dir 's.csv') -Raw
        $raw | Should -Match ([regex]::Escape('"''=HYPERLINK(""http://example.org/x'))
        $raw | Should -Not -Match ([regex]::Escape(',"=HYPERLINK('))
        Export-CCForm -Xmlns $survey -Path (Join-Path $dir 'raw.csv') -NoFormulaEscape
        Get-Content (Join-Path $dir 'raw.csv') -Raw | Should -Match ([regex]::Escape(',"=HYPERLINK(""http://example.org/x'))
    }

    It 'keeps numbers such as -5 or +254700000000 as numbers' {
        $csv = @(Read-TestCsv (Join-Path $dir 's.csv'))
        $i = $csv[0].IndexOf('form.respondent.resp_phone')
        (Get-Content (Join-Path $dir 's.csv') -Raw) | Should -Match ',\+254\d+,'
    }
}

Describe 'Export-CCForm: files, folders and refusals' {
    It 'refuses an existing file without -Force before any request, and replaces it with -Force' {
        $p = Join-Path $dir 'exists.csv'
        Set-Content $p 'keep me'
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        { Export-CCForm -Xmlns $survey -Path $p -ErrorAction Stop } | Should -Throw '*-Path*already exists*-Force*'
        Get-Content $p | Should -Be 'keep me'
        @((Get-EmuRequests $url) | Where-Object path -like '*/form/*').Count | Should -Be 0
        Export-CCForm -Xmlns 'http://openrosa.org/formdesigner/CLOSE' -Path $p -Force
        (Get-Content $p -TotalCount 1) | Should -BeLike 'number,formid,*'
    }

    It 'refuses several form types into one CSV file, naming the fix' {
        { Export-CCForm -Path (Join-Path $dir 'all.csv') -ErrorAction Stop } | Should -Throw '*cannot share one CSV file*-Format Csv*'
    }

    It 'writes every form type of an application to a folder, one file per form type and repeat group' {
        $app1 = (Get-CCApplication | Where-Object { $_.Modules.Forms.Xmlns -contains 'http://openrosa.org/formdesigner/FOLLOWUP' } | Select-Object -First 1).Id
        $out = Join-Path $dir 'app1'   # made by the export (its parent exists)
        $files = @(Export-CCForm -AppId $app1 -Path $out -Format Csv -PassThru)
        $files.Count | Should -BeGreaterOrEqual 2
        $files | ForEach-Object { $_ | Should -BeOfType [IO.FileInfo]; $_.Exists | Should -BeTrue }
        $all = @(Get-CCForm -AppId $app1)
        $rowsTotal = 0
        foreach ($f in ($files | Where-Object { $_.Name.Split('.').Count -eq 2 })) { $rowsTotal += @(Import-Csv $f.FullName).Count }
        $rowsTotal | Should -Be $all.Count
    }

    It 'leaves no file and no temporary file when the walk fails' {
        $p = Join-Path $dir 'broken.csv'
        $before = @(Get-ChildItem $dir -Force).Count
        # The structure reads answer; every form page fails (no retries on this session).
        Invoke-Emu $url 'faults' -Body @{ pathContains = '/form/'; rate = 1.0; kinds = @('500') } | Out-Null
        try {
            $s = Connect-TestServer $url -Options @{ MaxRetryCount = 0 }
            { Export-CCForm -Session $s -Xmlns $survey -Path $p -ErrorAction Stop } | Should -Throw
        } finally { Invoke-Emu $url 'faults' -Method DELETE | Out-Null; Connect-TestServer $url | Out-Null }
        Test-Path $p | Should -BeFalse
        @(Get-ChildItem $dir -Force).Count | Should -Be $before
    }
}

Describe 'Export-CCCase' {
    BeforeAll {
        $script:cases = @(Get-CCCase -CaseType patient)
        Export-CCCase -CaseType patient -Path (Join-Path $dir 'patients.csv')
        $script:pc = @(Read-TestCsv (Join-Path $dir 'patients.csv'))
    }

    It 'has HQ''s case export columns, the type''s properties from the application, one row per case' {
        $h = $pc[0]
        $h[0..2] | Should -Be @('number', 'caseid', 'name')
        foreach ($n in 'case_type', 'closed', 'closed_date', 'external_id', 'last_modified_date', 'opened_date', 'owner_id', 'server_last_modified_date') { $h | Should -Contain $n }
        $props = @((Get-CCApplication).Modules | Where-Object CaseType -eq 'patient' | ForEach-Object CaseProperties | Select-Object -Unique |
            Where-Object { $_ -notin 'case_name', 'case_type', 'date_opened', 'external_id', 'owner_id', 'name' })
        foreach ($p in $props) { $h | Should -Contain $p; $h.IndexOf($p) | Should -BeLessThan $h.IndexOf('case_type') }
        $pc.Count - 1 | Should -Be $cases.Count
        @($pc | Select-Object -Skip 1 | ForEach-Object { $_[1] }) | Should -Be $cases.Id
    }

    It 'takes Get-CCCase''s filters (owner, server dates) and Get-CCForm''s (-CaseId)' {
        $owner = $cases[0].OwnerId
        Export-CCCase -CaseType patient -OwnerId $owner -Path (Join-Path $dir 'owner.csv')
        $mine = @(Import-Csv (Join-Path $dir 'owner.csv'))
        $mine.caseid | Should -Be @($cases | Where-Object OwnerId -eq $owner).Id
        Export-CCForm -CaseId $cases[0].Id -Xmlns 'http://openrosa.org/formdesigner/FOLLOWUP' -Path (Join-Path $dir 'bycase.csv')
        @(Import-Csv (Join-Path $dir 'bycase.csv')).formid | Should -Be @(Get-CCForm -CaseId $cases[0].Id -Xmlns 'http://openrosa.org/formdesigner/FOLLOWUP').Id
    }

    It 'reads back: an exported case file piped into Set-CCCase writes nothing' {
        $rows = @(Import-Csv (Join-Path $dir 'patients.csv') | Select-Object -First 5)
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        $rows | Set-CCCase -WarningAction SilentlyContinue
        # Set-CCCase reads the cases first (a POST to bulk-fetch); nothing is written.
        @((Get-EmuRequests $url) | Where-Object { ($_.method -eq 'POST' -or $_.method -eq 'PUT') -and $_.path -notlike '*bulk-fetch*' }).Count | Should -Be 0
        @((Get-EmuRequests $url) | Where-Object { $_.path -like '*bulk-fetch*' }).Count | Should -Be 1
    }

    It 'writes indices as indices.IDENTIFIER and closed as true/false' {
        $h = $pc[0]
        $withParent = $cases | Where-Object { $_.Indices.Count -gt 0 } | Select-Object -First 1
        if ($withParent) {
            $ident = @($withParent.Indices.Keys)[0]
            $row = $pc | Where-Object { $_[1] -eq $withParent.Id }
            $row[$h.IndexOf("indices.$ident")] | Should -Be $withParent.Indices[$ident].CaseId
        }
        @($pc | Select-Object -Skip 1 | ForEach-Object { $_[$h.IndexOf('closed')] } | Select-Object -Unique | Sort-Object) | Should -BeIn @('false', 'true')
    }
}

Describe 'Incremental exports with -Checkpoint' {
    It 'adds only what was indexed since to the existing file, new columns included, numbers continuing' {
        $p = Join-Path $dir 'inc.csv'
        $cp = Join-Path $dir 'inc.cp'
        Export-CCCase -CaseType patient -Path $p -Checkpoint $cp
        $first = @(Import-Csv $p)
        $first.Count | Should -Be $cases.Count
        Invoke-Emu $url 'requests' -Method DELETE | Out-Null
        Export-CCCase -CaseType patient -Path $p -Checkpoint $cp
        @(Import-Csv $p).Count | Should -Be $first.Count
        # one case updated with a property no application lists: one more row, a new column at the end
        $target = $cases[3]
        New-CCCaseUpdateForm -CaseId $target.Id -Property @{ flat_table_probe = 'seen' } | Send-CCFormSubmission | Out-Null
        Export-CCCase -CaseType patient -Path $p -Checkpoint $cp
        $after = @(Import-Csv $p)
        $after.Count | Should -Be ($first.Count + 1)
        $after[-1].caseid | Should -Be $target.Id
        $after[-1].flat_table_probe | Should -Be 'seen'
        $after[-1].number | Should -Be "$($first.Count)"
        ($after[0..($first.Count - 1)] | ForEach-Object caseid) | Should -Be ($first | ForEach-Object caseid)
    }

    It 'refuses to continue when the checkpoint has a position but the file is gone' {
        $p = Join-Path $dir 'gone.csv'
        $cp = Join-Path $dir 'gone.cp'
        Export-CCForm -Xmlns 'http://openrosa.org/formdesigner/CLOSE' -Path $p -Checkpoint $cp
        Remove-Item $p
        { Export-CCForm -Xmlns 'http://openrosa.org/formdesigner/CLOSE' -Path $p -Checkpoint $cp -ErrorAction Stop } | Should -Throw '*-Checkpoint*is not there*'
    }
}
