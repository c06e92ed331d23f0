BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    Add-Type -AssemblyName System.IO.Compression

    # The fixed columns of HQ's "Download Mobile Workers" (corehq/apps/users/bulk_download.py), in its order.
    $script:HqFixed = @('username', 'password', 'name', 'email', 'language', 'role', 'user_id', 'is_active',
        'User IMEIs (read only)', 'registered_on (read only)', 'last_submission (read only)', 'last_sync (read only)')

    function script:New-TempPath([string] $Extension) { Join-Path ([IO.Path]::GetTempPath()) ("cc-bulk-" + [guid]::NewGuid() + $Extension) }

    # A workbook as HQ (openpyxl) writes one: shared strings for text, numbers as numbers, sheets in the order given.
    function script:New-HqWorkbook([string] $Path, [System.Collections.Specialized.OrderedDictionary] $Sheets) {
        $strings = [Collections.Generic.List[string]]::new()
        function Esc([string] $s) { [Security.SecurityElement]::Escape($s) }
        $sheetXml = foreach ($name in $Sheets.Keys) {
            $sb = [Text.StringBuilder]::new('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            $r = 0
            foreach ($row in $Sheets[$name]) {
                $r++
                [void]$sb.Append("<row r=""$r"">")
                for ($c = 0; $c -lt $row.Count; $c++) {
                    $v = $row[$c]
                    if ($null -eq $v -or "$v" -eq '') { continue }
                    $ref = [string][char](65 + $c) + $r
                    if ($v -is [long] -or $v -is [int] -or $v -is [double]) { [void]$sb.Append("<c r=""$ref""><v>$v</v></c>") }
                    else { $strings.Add([string]$v); [void]$sb.Append("<c r=""$ref"" t=""s""><v>$($strings.Count - 1)</v></c>") }
                }
                [void]$sb.Append('</row>')
            }
            [void]$sb.Append('</sheetData></worksheet>')
            $sb.ToString()
        }
        $names = @($Sheets.Keys)
        $files = [ordered]@{
            '[Content_Types].xml' = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>' +
                (($names | ForEach-Object -Begin { $i = 0 } -Process { $i++; "<Override PartName=""/xl/worksheets/sheet$i.xml"" ContentType=""application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml""/>" }) -join '') + '</Types>'
            '_rels/.rels' = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            'xl/workbook.xml' = '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>' +
                (($names | ForEach-Object -Begin { $i = 0 } -Process { $i++; "<sheet name=""$_"" sheetId=""$i"" r:id=""rId$i""/>" }) -join '') + '</sheets></workbook>'
            'xl/_rels/workbook.xml.rels' = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
                (($names | ForEach-Object -Begin { $i = 0 } -Process { $i++; "<Relationship Id=""rId$i"" Type=""http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"" Target=""worksheets/sheet$i.xml""/>" }) -join '') +
                "<Relationship Id=""rIdS"" Type=""http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"" Target=""sharedStrings.xml""/></Relationships>"
        }
        $i = 0
        foreach ($x in $sheetXml) { $i++; $files["xl/worksheets/sheet$i.xml"] = $x }
        $files['xl/sharedStrings.xml'] = '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
            (($strings | ForEach-Object { "<si><t xml:space=""preserve"">$(Esc $_)</t></si>" }) -join '') + '</sst>'
        $zip = [IO.Compression.ZipFile]::Open($Path, 'Create')
        try {
            foreach ($k in $files.Keys) {
                $w = [IO.StreamWriter]::new($zip.CreateEntry($k).Open(), [Text.UTF8Encoding]::new($false))
                $w.Write($files[$k]); $w.Dispose()
            }
        }
        finally { $zip.Dispose() }
        $Path
    }

    # The sheet names and each sheet's first row, read from the package XML (independent of the module).
    function script:Get-XlsxHeaders([string] $Path) {
        $zip = [IO.Compression.ZipFile]::OpenRead($Path)
        try {
            function Read-Entry($name) { $r = [IO.StreamReader]::new($zip.GetEntry($name).Open()); try { [xml]$r.ReadToEnd() } finally { $r.Dispose() } }
            $wb = Read-Entry 'xl/workbook.xml'
            $i = 0
            foreach ($s in $wb.workbook.sheets.sheet) {
                $i++
                $sheet = Read-Entry "xl/worksheets/sheet$i.xml"
                $first = @($sheet.worksheet.sheetData.row)[0]
                [pscustomobject]@{ Name = $s.name; Headers = @($first.c | ForEach-Object { $_.is.t.'#text' ?? $_.is.t }) }
            }
        }
        finally { $zip.Dispose() }
    }

    function script:Get-Writes { @(Get-EmuRequests $url | Where-Object { $_.method -in 'POST', 'PUT', 'PATCH', 'DELETE' }) }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Import-CCMobileWorker' {
    BeforeEach { Invoke-Emu $url 'users/reset' | Out-Null; Reset-Emu $url }

    It 'imports a workbook in HQ''s layout: new workers are created and existing ones updated, field by field' {
        $w1 = Get-CCMobileWorker -UserName worker1
        $w2 = Get-CCMobileWorker -UserName worker2
        $allGroups = @(Get-CCGroup)
        $north = $allGroups | Where-Object Name -eq 'North Team'
        $sups = $allGroups | Where-Object Name -eq 'Supervisors'
        $locs = @(Get-CCLocation)
        function Code($id) { ($locs | Where-Object Id -eq $id).SiteCode }
        function Cell($list, $i) { if ($i -lt @($list).Count) { @($list)[$i] } else { '' } }
        $headers = $HqFixed + @('phone-number 1', 'phone-number 2', 'data: chw_id', 'data: district', 'group 1', 'group 2', 'location_code 1', 'location_code 2')
        $w1Groups = @($w1.Groups | ForEach-Object { $g = $_; ($allGroups | Where-Object Id -eq $g).Name })
        $w1Codes = @(@($w1.PrimaryLocation) + @($w1.Locations | Where-Object { $_ -ne $w1.PrimaryLocation }) | ForEach-Object { Code $_ })
        $users = @(
            , $headers
            # New, with HQ's usual values: a phone number typed as a number, a site code in other case.
            , @('hqnew1', 'Pw-hq-new-1!', 'Amina Otieno', 'Amina@Example.org', 'sw', 'Field Worker', '', 'True', '', '', '', '', [long]254700000001, '+254 700-000 002', 'CHW-901', 'north', 'North Team', 'Supervisors', 'NORTH', 'kisumu_clinic')
            # New and deactivated.
            , @('hqnew2', 'Pw-hq-new-2!', 'Baraka', '', 'en', '', '', 'False', '', '', '', '', '', '', 'CHW-902', '', '', '', '', '')
            # Existing, found by user name, every cell as on the server but the language (asterisks are no password).
            , @('worker1', '********', "$($w1.FirstName) $($w1.LastName)", $w1.Email, 'fr', $w1.Role, '', 'True', '', '', '', '',
                (Cell $w1.PhoneNumbers 0), (Cell $w1.PhoneNumbers 1), $w1.UserData['chw_id'], $w1.UserData['district'],
                (Cell $w1Groups 0), (Cell $w1Groups 1), (Cell $w1Codes 0), (Cell $w1Codes 1))
            # Existing, found by user_id: a new name; phone numbers, groups and locations replaced; a blank data cell empties that field.
            , @('worker2', '********', 'Walter Otieno Worker', '', '', '', $w2.Id, '', '', '', '', '', '255 712 345 678', '', 'CHW-002b', '', 'North Team', '', 'south', ''))
        $groups = @(, @('id', 'name', 'case-sharing?', 'reporting?'), @($north.Id, 'North Team', 'yes', 'yes'))
        $file = New-HqWorkbook (New-TempPath '.xlsx') ([ordered]@{ users = $users; groups = $groups })

        $out = @(Import-CCMobileWorker -Path $file -InformationVariable info)
        $out.Action | Should -Be @('Created', 'Created', 'Updated', 'Updated')
        $out[2].Changes | Should -Be @('Language')
        ($info | Out-String) | Should -BeLike '*2 created, 2 updated, 0 unchanged, 0 failed*'

        $n1 = Get-CCMobileWorker -UserName hqnew1
        $n1.FirstName | Should -Be 'Amina'
        $n1.LastName | Should -Be 'Otieno'
        $n1.Email | Should -Be 'amina@example.org'
        $n1.Language | Should -Be 'sw'
        $n1.Role | Should -Be 'Field Worker'
        $n1.PhoneNumbers | Should -Be @('254700000001', '254700000002')
        $n1.UserData['chw_id'] | Should -Be 'CHW-901'
        $n1.UserData['district'] | Should -Be 'north'
        @($n1.Groups | Sort-Object) | Should -Be @(@($north.Id, $sups.Id) | Sort-Object)
        $n1.PrimaryLocation | Should -Be ($locs | Where-Object SiteCode -eq 'north').Id
        @($n1.Locations | Sort-Object) | Should -Be @(@(($locs | Where-Object SiteCode -eq 'north').Id, ($locs | Where-Object SiteCode -eq 'kisumu_clinic').Id) | Sort-Object)
        $n1.IsActive | Should -BeTrue

        (Get-CCMobileWorker -Archived).UserName | Should -Contain 'hqnew2@demo.commcarehq.org'
        (Get-CCMobileWorker -UserName hqnew2).FirstName | Should -Be 'Baraka'

        $w1after = Get-CCMobileWorker -UserName worker1
        $w1after.Language | Should -Be 'fr'
        $w1after.FirstName | Should -Be $w1.FirstName
        $w1after.PhoneNumbers | Should -Be $w1.PhoneNumbers
        @($w1after.Groups | Sort-Object) | Should -Be @($w1.Groups | Sort-Object)
        @($w1after.Locations | Sort-Object) | Should -Be @($w1.Locations | Sort-Object)
        $w2after = Get-CCMobileWorker -Id $w2.Id
        $w2after.FirstName | Should -Be 'Walter'
        $w2after.LastName | Should -Be 'Otieno Worker'
        $w2after.PhoneNumbers | Should -Be @('255712345678')
        $w2after.Groups | Should -Be @($north.Id)
        $w2after.Locations | Should -Be @(($locs | Where-Object SiteCode -eq 'south').Id)
        $w2after.Language | Should -Be $w2.Language
        $w2after.UserData['chw_id'] | Should -Be 'CHW-002b'
        $w2after.UserData['district'] | Should -Be ''
        $w2after.UserData['training_date'] | Should -Be $w2.UserData['training_date']

        $writes = Get-Writes
        @($writes | Where-Object { $_.method -eq 'POST' -and $_.path -like '*/user/*' -and $_.path -notlike '*/deactivate/' }).Count | Should -Be 2
        @($writes | Where-Object { $_.path -like '*/deactivate/' }).Count | Should -Be 1
        @($writes | Where-Object method -eq 'PUT').Count | Should -Be 2
    }

    It 'is_active activates and deactivates workers whose status differs; columns the file lacks are left alone' {
        $archived = @(Get-CCMobileWorker -Archived)[0]
        $w1 = Get-CCMobileWorker -UserName worker1
        $file = New-TempPath '.csv'
        @(
            [pscustomobject]@{ username = $archived.ShortUserName; is_active = 'True' }
            [pscustomobject]@{ username = 'worker1'; is_active = 'False' }
            [pscustomobject]@{ username = 'worker2'; is_active = 'yes' }
        ) | Export-Csv $file -NoTypeInformation

        $out = @(Import-CCMobileWorker -Path $file -InformationVariable info)
        $out.Changes | Should -Be @('Activate', 'Deactivate')
        ($info | Out-String) | Should -BeLike '*0 created, 2 updated, 1 unchanged, 0 failed*'
        (Get-CCMobileWorker).UserName | Should -Contain $archived.UserName
        (Get-CCMobileWorker -Archived).UserName | Should -Contain 'worker1@demo.commcarehq.org'
        $after = Get-CCMobileWorker -UserName worker1
        $after.PhoneNumbers | Should -Be $w1.PhoneNumbers
        @($after.Groups | Sort-Object) | Should -Be @($w1.Groups | Sort-Object)
        $writes = Get-Writes
        @($writes | Where-Object method -eq 'PUT').Count | Should -Be 0
        @($writes | Where-Object path -like '*/activate/').Count | Should -Be 1
        @($writes | Where-Object path -like '*/deactivate/').Count | Should -Be 1
    }

    It 'reports each bad row once, naming the row and the column, and sends nothing for it' {
        $file = New-TempPath '.csv'
        @(
            [pscustomobject]@{ username = 'badphone'; password = 'Pw-bad-1!'; 'phone-number 1' = 'not-a-phone'; 'data: chw_id' = 'C1'; 'location_code 1' = '' }
            [pscustomobject]@{ username = 'badloc'; password = 'Pw-bad-2!'; 'phone-number 1' = ''; 'data: chw_id' = 'C2'; 'location_code 1' = 'atlantis' }
            [pscustomobject]@{ username = 'badtype'; password = 'Pw-bad-3!'; 'phone-number 1' = 'System.Collections.Generic.List`1[System.String]'; 'data: chw_id' = 'C3'; 'location_code 1' = '' }
            [pscustomobject]@{ username = 'goodrow'; password = 'Pw-good-4!'; 'phone-number 1' = '+254 711 000 004'; 'data: chw_id' = 'C4'; 'location_code 1' = 'east' }
        ) | Export-Csv $file -NoTypeInformation -Encoding utf8BOM

        $out = @(Import-CCMobileWorker -Path $file -ErrorVariable ev -ErrorAction SilentlyContinue -InformationVariable info)
        $out.UserName | Should -Be @('goodrow@demo.commcarehq.org')
        $ev.Count | Should -Be 3
        $ev[0].Exception.Message | Should -BeLike "Row 2 *column 'phone-number 1'*'not-a-phone' is not a phone number*"
        $ev[1].Exception.Message | Should -BeLike "Row 3 *column 'location_code 1'*'atlantis'*"
        $ev[2].Exception.Message | Should -BeLike "Row 4 *column 'phone-number 1'*type name*"
        $ev | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.InvalidRow*' }
        # The row comes back as the error's target, without its password.
        $ev[1].TargetObject.username | Should -Be 'badloc'
        $ev[1].TargetObject.PSObject.Properties.Name | Should -Not -Contain 'password'
        ($ev | Out-String) | Should -Not -BeLike '*Pw-bad-*'
        ($info | Out-String) | Should -BeLike '*1 created, 0 updated, 0 unchanged, 3 failed*'

        $posts = @(Get-Writes | Where-Object method -eq 'POST')
        $posts.Count | Should -Be 1
        $posts[0].target | Should -BeLike 'goodrow*'
        (Get-CCMobileWorker -UserName goodrow).PhoneNumbers | Should -Be @('254711000004')
    }

    It 'a create the server applies only in part (an unknown role) is an error saying what was not set, not a success' {
        $file = New-TempPath '.csv'
        @(
            [pscustomobject]@{ username = 'norole1'; password = 'Pw-norole-1!'; role = 'No Such Role'; language = 'en' }
            [pscustomobject]@{ username = 'okrole1'; password = 'Pw-okrole-1!'; role = 'Supervisor'; language = 'en' }
        ) | Export-Csv $file -NoTypeInformation
        $out = @(Import-CCMobileWorker -Path $file -ErrorVariable ev -ErrorAction SilentlyContinue -InformationVariable info)
        $out.UserName | Should -Be @('okrole1@demo.commcarehq.org')
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike "Row 2 (norole1@*)*was created*did not set Role*"
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.NotApplied*'
        ($info | Out-String) | Should -BeLike '*1 created, 0 updated, 0 unchanged, 1 failed*'
        (Get-CCMobileWorker -UserName okrole1).Role | Should -Be 'Supervisor'
    }

    It 'refuses a file with a column HQ''s upload does not have, naming it, before anything is sent' {
        $file = New-TempPath '.csv'
        [pscustomobject]@{ username = 'x1'; password = 'Pw-x-1!'; phone_numbers = '1234567' } | Export-Csv $file -NoTypeInformation
        { Import-CCMobileWorker -Path $file -ErrorAction Stop } | Should -Throw "*'phone_numbers'*"
        @(Get-Writes).Count | Should -Be 0
    }

    It '-WhatIf sends nothing and counts what would be created, updated, left unchanged and refused' {
        $w1 = Get-CCMobileWorker -UserName worker1
        $w3 = Get-CCMobileWorker -UserName worker3
        $file = New-TempPath '.csv'
        @(
            [pscustomobject]@{ username = 'whatifnew'; password = 'Pw-wi-1!'; language = 'en'; user_id = '' }
            [pscustomobject]@{ username = 'worker1'; password = '********'; language = 'fr'; user_id = $w1.Id }
            [pscustomobject]@{ username = 'worker3'; password = '********'; language = $w3.Language; user_id = '' }
            [pscustomobject]@{ username = 'worker3'; password = '********'; language = 'de'; user_id = '' }
        ) | Export-Csv $file -NoTypeInformation

        $out = @(Import-CCMobileWorker -Path $file -WhatIf -ErrorVariable ev -ErrorAction SilentlyContinue -InformationVariable info)
        $out.Count | Should -Be 0
        @(Get-Writes).Count | Should -Be 0
        ($info | Out-String) | Should -BeLike '*1 would be created, 1 would be updated, 1 unchanged, 1 failed*'
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike "Row 5 *column 'username'*earlier row*"
        (Get-CCMobileWorker -UserName worker1).Language | Should -Be $w1.Language
    }
}

Describe 'Export-CCMobileWorker' {
    BeforeEach { Invoke-Emu $url 'users/reset' | Out-Null; Reset-Emu $url }

    It 'writes HQ''s columns in HQ''s order (sheets users and groups), and importing the file straight back sends nothing' {
        $workers = @(Get-CCMobileWorker) + @(Get-CCMobileWorker -Archived)
        $phones = ($workers | ForEach-Object { @($_.PhoneNumbers).Count } | Measure-Object -Maximum).Maximum
        $groups = ($workers | ForEach-Object { @($_.Groups).Count } | Measure-Object -Maximum).Maximum
        $locations = ($workers | ForEach-Object { @($_.Locations).Count } | Measure-Object -Maximum).Maximum
        $keys = @($workers | ForEach-Object { $_.UserData.Keys } | Sort-Object -Unique -CaseSensitive)
        $phones | Should -BeGreaterThan 1
        $groups | Should -BeGreaterThan 1
        $locations | Should -BeGreaterThan 1
        $expected = $HqFixed + @(1..$phones | ForEach-Object { "phone-number $_" }) + @($keys | ForEach-Object { "data: $_" }) +
            @(1..$groups | ForEach-Object { "group $_" }) + @(1..$locations | ForEach-Object { "location_code $_" })

        $xlsx = New-TempPath '.xlsx'
        (Export-CCMobileWorker -Path $xlsx).FullName | Should -Be $xlsx
        $sheets = @(Get-XlsxHeaders $xlsx)
        $sheets.Name | Should -Be @('users', 'groups')
        $sheets[0].Headers | Should -Be $expected
        $sheets[1].Headers[0..3] | Should -Be @('id', 'name', 'case-sharing?', 'reporting?')

        $csv = New-TempPath '.csv'
        Export-CCMobileWorker -Path $csv | Out-Null
        $rows = @(Import-Csv $csv)
        $rows[0].PSObject.Properties.Name | Should -Be $expected
        $rows.Count | Should -Be $workers.Count
        $w1 = $rows | Where-Object username -eq 'worker1'
        $w1.password | Should -Be '********'
        $w1.is_active | Should -Be 'True'
        ($rows | Where-Object is_active -eq 'False').Count | Should -Be @(Get-CCMobileWorker -Archived).Count

        foreach ($f in $xlsx, $csv) {
            Reset-Emu $url
            $out = @(Import-CCMobileWorker -Path $f -InformationVariable info -ErrorVariable ev)
            $ev.Count | Should -Be 0
            $out.Count | Should -Be 0
            @(Get-Writes).Count | Should -Be 0
            ($info | Out-String) | Should -BeLike "*0 created, 0 updated, $($workers.Count) unchanged, 0 failed*"
        }

        # One cell edited: exactly that worker, exactly that field.
        $rows | ForEach-Object { if ($_.username -eq 'worker1') { $_.language = 'sw-KE' } }
        $rows | Export-Csv $csv -NoTypeInformation
        Reset-Emu $url
        $out = @(Import-CCMobileWorker -Path $csv)
        $out.Changes | Should -Be @('Language')
        @(Get-Writes).Count | Should -Be 1
        (Get-CCMobileWorker -UserName worker1).Language | Should -Be 'sw-KE'
    }

    It 'keeps an existing file unless -Force, and says so' {
        $csv = New-TempPath '.csv'
        Set-Content $csv 'keep me'
        { Export-CCMobileWorker -Path $csv -ErrorAction Stop } | Should -Throw '*already exists*-Force*'
        Get-Content $csv | Should -Be 'keep me'
        Export-CCMobileWorker -Path $csv -Force | Out-Null
        (Import-Csv $csv)[0].username | Should -Not -BeNullOrEmpty
        @(Get-ChildItem ([IO.Path]::GetDirectoryName($csv)) -Filter "*$([IO.Path]::GetFileName($csv))*.partial" -Force).Count | Should -Be 0
    }
}
