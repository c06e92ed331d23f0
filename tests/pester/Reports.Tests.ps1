BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    $script:big = '5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c01'
    $script:small = '5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c02'
    $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-rep-" + [guid]::NewGuid())
    New-Item -ItemType Directory $dir | Out-Null

    # The oracle: every row of a report through plain Invoke-RestMethod, following next_page.
    function script:Get-RawReport([string] $Id) {
        $h = @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" }
        $next = "/a/demo/api/v0.5/configurablereportdata/$Id/?limit=50"
        $rows = [Collections.Generic.List[object]]::new()
        $cols = $null
        while ($next) {
            $r = Invoke-RestMethod -Uri "$url$next" -Headers $h
            if (-not $cols) { $cols = $r.columns }
            foreach ($d in $r.data) { $rows.Add($d) }
            $next = $r.next_page
        }
        [pscustomobject]@{ Columns = $cols; Rows = $rows }
    }
    function script:Text($v) { if ($null -eq $v) { '' } elseif ($v -is [double] -or $v -is [decimal]) { ([double]$v).ToString('R', [cultureinfo]::InvariantCulture) } else { [string]$v } }

    # An independent .xlsx reader (not the module's library): one sheet's cells by reference, text decoded.
    function script:Read-Xlsx([string] $Path, [string] $Sheet) {
        Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($Path)
        try {
            function Load([string] $name) { $e = $zip.GetEntry($name); if (-not $e) { return $null }; $r = [IO.StreamReader]::new($e.Open()); try { [xml]$r.ReadToEnd() } finally { $r.Dispose() } }
            $ns = @{ m = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'; r = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships' }
            $wb = Load 'xl/workbook.xml'
            $rels = Load 'xl/_rels/workbook.xml.rels'
            $sheetNode = @(Select-Xml -Xml $wb -XPath '//m:sheet' -Namespace $ns | ForEach-Object Node | Where-Object { -not $Sheet -or $_.name -eq $Sheet })[0]
            $rid = $sheetNode.GetAttribute('id', $ns.r)
            $target = ($rels.Relationships.Relationship | Where-Object Id -eq $rid).Target
            $sheetXml = Load ('xl/' + $target.TrimStart('/').Replace('xl/', ''))
            $shared = Load 'xl/sharedStrings.xml'
            $sst = if ($shared) { @(Select-Xml -Xml $shared -XPath '//m:si' -Namespace $ns | ForEach-Object { $_.Node.InnerText }) } else { @() }
            $decode = { param($t) [regex]::Replace($t, '_x([0-9A-Fa-f]{4})_', { param($m) [string][char][Convert]::ToInt32($m.Groups[1].Value, 16) }) }
            $rows = [Collections.Generic.List[object]]::new()
            foreach ($row in (Select-Xml -Xml $sheetXml -XPath '//m:row' -Namespace $ns | ForEach-Object Node)) {
                $cells = @{}
                foreach ($c in $row.ChildNodes) {
                    $col = ($c.r -replace '\d', '')
                    $v = switch ($c.t) { 'inlineStr' { & $decode $c.is.InnerText } 's' { & $decode $sst[[int]$c.v] } default { $c.v } }
                    $cells[$col] = $v
                }
                $rows.Add($cells)
            }
            , $rows.ToArray()
        }
        finally { $zip.Dispose() }
    }
}
AfterAll { Stop-TestEmulator $emu; Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Get-CCReport and Export-CCReport' {
    BeforeEach { Reset-Emu $url }

    It 'lists reports with their filters and columns' {
        $reports = @(Get-CCReport)
        $reports.Count | Should -Be 5
        $r = Get-CCReport -Id $big
        $r.Title | Should -Be 'Household Visits (12,000)'
        $r.Filters.Slug | Should -Contain 'visit_date'
        ($r.Filters | Where-Object Slug -eq 'age').Type | Should -Be 'numeric'
        @(Get-CCReport -Title 'Household*').Count | Should -Be 2
    }

    It 'a 12,000-row report exports to CSV and XLSX with every row and column as the server sent it' {
        $oracle = Get-RawReport $big
        $oracle.Rows.Count | Should -Be 12000
        $csv = Export-CCReport -ReportId $big -Path (Join-Path $dir 'big.csv') -PassThru
        $xlsx = Export-CCReport -ReportId $big -Path (Join-Path $dir 'big.xlsx') -PassThru
        $headers = @($oracle.Columns.header)
        $slugs = @($oracle.Columns.slug)
        $fromCsv = @(Import-Csv $csv.FullName)
        $fromCsv.Count | Should -Be 12000
        @($fromCsv[0].PSObject.Properties.Name) | Should -Be $headers
        $fromXlsx = Read-Xlsx $xlsx.FullName
        $fromXlsx.Count | Should -Be 12001
        $letters = 0..($headers.Count - 1) | ForEach-Object { [string][char](65 + $_) }
        $letters | ForEach-Object -Begin { $i = 0 } -Process { $fromXlsx[0][$_] | Should -Be $headers[$i]; $i++ }
        $bad = 0; $guarded = 0
        for ($n = 0; $n -lt 12000; $n++) {
            $want = $oracle.Rows[$n]
            for ($c = 0; $c -lt $slugs.Count; $c++) {
                $expected = Text $want.($slugs[$c])
                # A cell a spreadsheet would run as a formula is written with a leading ' (docs/flat-tables.md).
                $cell = $fromCsv[$n].($headers[$c])
                if ($cell -match "^'[=+\-@\t\r]") { $guarded++; if ($cell.Substring(1) -cne $expected) { $bad++ } }
                elseif ($cell -cne $expected) { $bad++ }
                $got = $fromXlsx[$n + 1][$letters[$c]]
                if ((Text $got) -cne $expected) { $bad++ }
            }
        }
        $bad | Should -Be 0
        # Only cells that start like a formula (and are not numbers) got the guard.
        $formulaLike = @($oracle.Rows | ForEach-Object { $r = $_; $slugs | ForEach-Object { Text $r.$_ } } | Where-Object { $d = 0.0; $_ -match '^[=+\-@\t\r]' -and -not [double]::TryParse($_, [Globalization.NumberStyles]::Float, [cultureinfo]::InvariantCulture, [ref]$d) }).Count
        $guarded | Should -Be $formulaLike
    }

    It 'sends filters in the reference format and gets only the matching rows' {
        $rows = @(Export-CCReport -ReportId $big -Filter @{ district = 'North', 'South'; visit_date = '2024-01-01', '2024-06-30'; age = '>=18' })
        $rows.Count | Should -BeGreaterThan 100
        @($rows | Where-Object { $_.District -notin 'North', 'South' -or [int]$_.Age -lt 18 -or $_.'Visit Date' -gt '2024-06-30' }).Count | Should -Be 0
        $q = [uri]::UnescapeDataString(@(Get-EmuRequests $url | Where-Object { $_.path -like '*configurablereportdata*' })[0].query)
        $q | Should -BeLike "*district=North$([char]0x1f)South*"
        $q | Should -BeLike '*visit_date-start=2024-01-01*'
        $q | Should -BeLike '*visit_date-end=2024-06-30*'
        $q | Should -BeLike '*age-operator=>=*'
        $q | Should -BeLike '*age-operand=18*'
        $q | Should -BeLike '*limit=50*'
    }

    It 'refuses an unknown filter name, naming the report''s filters, before asking for data' {
        { Export-CCReport -ReportId $big -Filter @{ distrct = 'North' } } | Should -Throw "*'distrct'*district, gender, visit_date, age*"
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*configurablereportdata*' }).Count | Should -Be 0
    }

    It 'writes rows as objects with the column headers, expanded columns included' {
        $rows = @(Export-CCReport -ReportId '5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c03')
        $rows.Count | Should -Be 30
        $rows[0].PSObject.Properties.Name | Should -Contain 'Gender-female'
        $rows[0].PSObject.Properties.Name | Should -Contain 'Gender-male'
    }

    It 'streams to JSON too, and a failed export leaves no file behind' {
        $json = Export-CCReport -ReportId $small -Path (Join-Path $dir 'small.json') -PassThru
        (Get-Content $json.FullName -Raw | ConvertFrom-Json).Count | Should -Be 500
        # Five pages pass (a 1 ms 'slow' is a pass), then the server keeps failing: the export breaks off half way.
        $script = @(1..5 | ForEach-Object { @{ kind = 'slow'; slowMs = 1 } }) + @(1..6 | ForEach-Object { @{ kind = '500' } })
        Invoke-Emu $url 'faults' -Body @{ pathContains = 'configurablereportdata'; script = $script } | Out-Null
        $s = Connect-TestServer $url -SkipValidation -Options @{ MaxRetryCount = 1 }
        { Export-CCReport -Session $s -ReportId $small -Path (Join-Path $dir 'broken.csv') } | Should -Throw
        Connect-TestServer $url -SkipValidation | Out-Null     # the default again, with the usual retries
        Invoke-Emu $url 'faults' -Method DELETE | Out-Null
        @(Get-ChildItem $dir -Force -Filter '*broken*').Count | Should -Be 0
    }

    It 'peak memory exporting 12,000 rows to XLSX is no higher than for 500 rows (fresh processes)' {
        $measure = {
            param($id, $file)
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
Connect-CCServer -Server '$url' -Domain demo -UserName '$AdminUser' -ApiKey (ConvertTo-SecureString '$AdminKey' -AsPlainText -Force) -SkipValidation -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0
Export-CCReport -ReportId '$id' -Path '$file'
[GC]::Collect()
(Get-Process -Id `$PID).PeakWorkingSet64
"@
            [long]($r.Output | Select-Object -Last 1)
        }
        # One process's peak moves by 10-20 MB with the collector's timing on a busy machine: alternate the two
        # sizes three times and compare medians.
        $smalls = @(); $larges = @()
        foreach ($i in 1..3) {
            $smalls += & $measure $small (Join-Path $dir "m500-$i.xlsx")
            $larges += & $measure $big (Join-Path $dir "m12k-$i.xlsx")
        }
        $small500 = ($smalls | Sort-Object)[1]
        $large = ($larges | Sort-Object)[1]
        Write-Host ("peak working set (median of 3): 500 rows {0:N0} MB, 12,000 rows {1:N0} MB" -f ($small500 / 1MB), ($large / 1MB))
        # Same process shape either way: allow only measurement noise (a workbook built in memory would add far more).
        $large | Should -BeLessOrEqual ($small500 * 1.05 + 12MB)
    }
}

Describe 'Lookup tables' {
    BeforeEach { Reset-Emu $url }

    It 'lists tables and their rows, filterable by field' {
        (Get-CCLookupTable).Tag | Should -Be @('facilities', 'districts', 'vaccines')
        $rows = @(Get-CCLookupTableItem -Table facilities)
        $rows.Count | Should -Be 36
        $rows[0].Table | Should -Be 'facilities'
        @($rows | Where-Object { $_.Fields.level -eq 2 }).Count | Should -BeGreaterThan 0
        $v = @(Get-CCLookupTableItem -Table vaccines)[0]
        $v.FieldValues.name.Count | Should -Be 2
        $v.FieldValues.name[0].Properties.lang | Should -Not -BeNullOrEmpty
    }

    It 'round-trips: export to XLSX, change a cell, import, read the change back (same rows, same ids)' {
        $before = @(Get-CCLookupTableItem -Table facilities)
        $target = $before | Where-Object { $_.Fields.code -eq 'FAC-007' }
        $file = (Export-CCLookupTable -Table facilities -Path (Join-Path $dir 'fac.xlsx')).FullName
        $sheet = Read-Xlsx $file 'facilities'
        $sheet[0].A | Should -Be 'UID'
        $sheet.Count | Should -Be 37
        # Change FAC-007's name in the workbook's XML, as a person editing it in Excel would.
        Add-Type -AssemblyName System.IO.Compression, System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::Open($file, 'Update')
        $entry = $zip.Entries | Where-Object FullName -eq 'xl/worksheets/sheet2.xml'
        $r = [IO.StreamReader]::new($entry.Open()); $xml = $r.ReadToEnd(); $r.Dispose()
        $old = [Security.SecurityElement]::Escape($target.Fields.name)
        $xml.Contains(">$old<") | Should -BeTrue
        $xml = $xml.Replace(">$old<", '>Renamed Health Centre<')
        $entry.Delete()
        $w = [IO.StreamWriter]::new($zip.CreateEntry('xl/worksheets/sheet2.xml').Open()); $w.Write($xml); $w.Dispose()
        $zip.Dispose()
        $result = Import-CCLookupTable -Path $file -Replace
        $result.Complete | Should -BeTrue
        $after = @(Get-CCLookupTableItem -Table facilities)
        $after.Count | Should -Be 36
        ($after | Where-Object Id -eq $target.Id).Fields.name | Should -Be 'Renamed Health Centre'
        (($after.Id | Sort-Object) -join ',') | Should -Be (($before.Id | Sort-Object) -join ',')
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*fixapi/*' -and $_.method -eq 'POST' }).Count | Should -Be 1
    }

    It 'a workbook CommCare refuses is an error and changes nothing' {
        $bad = Join-Path $dir 'bad.xlsx'
        [pscustomobject]@{ a = 1 } | Export-Csv (Join-Path $dir 'x.csv')
        Set-Content $bad 'not a workbook'
        $out = @(Import-CCLookupTable -Path $bad -Replace -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*not loaded*'
        @(Get-CCLookupTableItem -Table facilities).Count | Should -Be 36
    }

    It 'adds, changes and deletes a row' {
        $n = New-CCLookupTableItem -Table facilities -Fields @{ name = 'New HC'; level = '3'; district = 'West'; code = 'FAC-900' }
        $n.Fields.code | Should -Be 'FAC-900'
        $c = $n | Set-CCLookupTableItem -Fields @{ name = 'New HC'; level = '4'; district = 'West'; code = 'FAC-900' }
        $c.Fields.level | Should -Be '4'
        $n | Remove-CCLookupTableItem -Confirm:$false
        @(Get-CCLookupTableItem -Table facilities | Where-Object { $_.Fields.code -eq 'FAC-900' }).Count | Should -Be 0
        { New-CCLookupTableItem -Table facilities -Fields @{ colour = 'red' } -ErrorAction Stop } | Should -Throw "*'colour'*name, level, district, code*"
    }
}

Describe 'Files the module writes: one rule' {
    BeforeAll { $script:fdir = Join-Path ([IO.Path]::GetTempPath()) ("cc-files-" + [guid]::NewGuid()); New-Item -ItemType Directory $fdir | Out-Null }
    BeforeEach { Reset-Emu $url }

    It 'an existing file is kept unless -Force, for every cmdlet that writes one' {
        $reportId = (Get-CCReport | Select-Object -First 1).Id
        $app = 'b7f3c2a1d4e54f6a8b9c0d1e2f3a4b5c'   # the emulator's household app, which has released builds
        $cases = @(
            @{ Name = 'Export-CCReport'; File = 'r.csv'; Call = { param($p, $f) Export-CCReport -ReportId $reportId -Path $p -Force:$f } }
            @{ Name = 'Export-CCLookupTable'; File = 'l.xlsx'; Call = { param($p, $f) Export-CCLookupTable -Table facilities -Path $p -Force:$f } }
            @{ Name = 'Export-CCMobileWorker'; File = 'w.csv'; Call = { param($p, $f) Export-CCMobileWorker -Path $p -Force:$f } }
            @{ Name = 'Save-CCApplicationArchive'; File = 'a.ccz'; Call = { param($p, $f) Save-CCApplicationArchive -ApplicationId $app -Latest Release -Path $p -Force:$f } }
        )
        foreach ($c in $cases) {
            $path = Join-Path $fdir $c.File
            Set-Content -Path $path -Value 'keep me'
            $err = $null
            try { & $c.Call $path $false | Out-Null } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty -Because $c.Name
            "$err" | Should -Match '-Path.*already exists.*-Force' -Because $c.Name
            (Get-Content $path -Raw).Trim() | Should -Be 'keep me' -Because $c.Name
            & $c.Call $path $true | Out-Null
            (Get-Content $path -Raw).Trim() | Should -Not -Be 'keep me' -Because $c.Name
            @(Get-ChildItem $fdir -Force | Where-Object Name -like '*.tmp*').Count | Should -Be 0 -Because $c.Name
        }
    }
}
