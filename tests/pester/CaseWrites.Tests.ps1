BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    $script:owner = (Get-CCMobileWorker -UserName worker1).Id

    # Every case with an external id starting with $Prefix, through the v2 list (independent of the write path).
    function script:Get-CasesByPrefix([string] $Prefix) {
        @(Get-CCCase -ApiVersion 2 -PageSize 5000 | Where-Object { $_.ExternalId -like "$Prefix*" })
    }
    function script:Get-CaseWrites { @(Get-EmuRequests $url | Where-Object { $_.path -like '*/api/case/v2*' -and $_.method -in 'POST', 'PUT' }) }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Get-CCCase -ApiVersion 2' {
    BeforeAll { Reset-Emu $url }

    It 'streams the same cases as the v0.5 API, page by page through the cursor' {
        $v1 = @(Get-CCCase -CaseType patient)
        Reset-Emu $url
        $v2 = @(Get-CCCase -ApiVersion 2 -CaseType patient -PageSize 7)
        $v2.Count | Should -BeGreaterThan 7
        ($v2.Id | Sort-Object) -join ',' | Should -Be (($v1.Id | Sort-Object) -join ',')
        ($v2.Id | Sort-Object -Unique).Count | Should -Be $v2.Count
        $v2[0] | Should -BeOfType ([CommCare.Models.CCCase])
        $v2[0].CaseType | Should -Be 'patient'
        $reqs = @(Get-EmuRequests $url | Where-Object { $_.path -like '*/api/case/v2*' })
        $reqs.Count | Should -Be ([math]::Ceiling($v2.Count / 7))
        @($reqs | Select-Object -Skip 1 | Where-Object { $_.query -notlike 'cursor=*' }).Count | Should -Be 0
    }

    It 'sends property, index, date and query filters in the reference format' {
        Reset-Emu $url
        $null = @(Get-CCCase -ApiVersion 2 -CaseType patient -Property @{ district = 'north' } -Query 'age > 40' -Index @{ parent = 'abc' } `
            -OpenedSince ([datetime]::new(2020, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)) -Closed:$false)
        $q = [uri]::UnescapeDataString((Get-EmuRequests $url | Select-Object -First 1).query)
        $q | Should -BeLike '*case_type=patient*'
        $q | Should -BeLike '*properties.district=north*'
        $q | Should -BeLike '*indices.parent=abc*'
        $q | Should -BeLike '*date_opened.gte=2020-01-02T03:04:05*'
        $q | Should -BeLike '*closed=false*'
        $q | Should -BeLike '*query=age > 40*'
    }

    It 'filters by a case-search query on the server' {
        $old = @(Get-CCCase -ApiVersion 2 -CaseType patient -Query 'age > 40')
        $old.Count | Should -BeGreaterThan 0
        @($old | Where-Object { [int]$_.Properties.age -le 40 }).Count | Should -Be 0
    }

    It 'refuses a v1-only parameter with -ApiVersion 2, and a v2-only one without it, before any request' {
        Reset-Emu $url
        { Get-CCCase -ApiVersion 2 -OrderBy indexed_on } | Should -Throw '*-OrderBy*-ApiVersion 1*'
        { Get-CCCase -Query 'age > 4' } | Should -Throw '*-Query*-ApiVersion 2*'
        @(Get-EmuRequests $url).Count | Should -Be 0
    }

    It 'gets cases by id in one bulk fetch; a missing id is a non-terminating error' {
        $two = @(Get-CCCase -ApiVersion 2 -CaseType patient | Select-Object -First 2)
        Reset-Emu $url
        $got = @(Get-CCCase -ApiVersion 2 -Id $two[0].Id, 'no-such-case', $two[1].Id -ErrorVariable ev -ErrorAction SilentlyContinue)
        $got.Id | Should -Be @($two[0].Id, $two[1].Id)
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
        $ev[0].Exception.Message | Should -BeLike '*no-such-case*'
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*bulk-fetch*' }).Count | Should -Be 1
    }
}

Describe 'New-CCCase' {
    BeforeEach { Reset-Emu $url }

    It 'creates a case that both APIs can read, with the form that made it' {
        $c = New-CCCase -CaseType patient -Name 'Mattie Ross' -OwnerId $owner -Property @{ age = 43; dob = [datetime]'1990-05-01' } -ExternalId PESTER-P17
        $c | Should -BeOfType ([CommCare.Models.CCCase])
        $c.Id | Should -Not -BeNullOrEmpty
        $c.FormId | Should -Not -BeNullOrEmpty
        $c.Properties.age | Should -Be '43'
        $c.Properties.dob | Should -Be '1990-05-01'
        $v1 = Get-CCCase -Id $c.Id
        $v1.Name | Should -Be 'Mattie Ross'
        $v1.ExternalId | Should -Be 'PESTER-P17'
        (Get-CCCase -ApiVersion 2 -ExternalId PESTER-P17).Id | Should -Be $c.Id
    }

    It 'sends pipeline rows 100 to a request; CSV columns become properties and empty cells are left out' {
        $rows = 1..250 | ForEach-Object { [pscustomobject]@{ name = "Batch $_"; external_id = "B-$_"; village = "V$($_ % 7)"; note = '' } }
        $made = @($rows | New-CCCase -CaseType patient -OwnerId $owner)
        $made.Count | Should -Be 250
        @(Get-CaseWrites).Count | Should -Be 3
        $made[10].Properties.village | Should -Be 'V4'
        $made[10].Properties.ContainsKey('note') | Should -BeFalse
        $made[10].Name | Should -Be 'Batch 11'
    }

    It 'checks each row before sending: a bad row is its own error, the others are created' {
        $rows = @(
            [pscustomobject]@{ name = 'Good 1'; external_id = 'CHK-1' }
            [pscustomobject]@{ name = 'No owner'; external_id = 'CHK-2'; owner_id = ' ' }
            [pscustomobject]@{ name = 'Good 3'; external_id = 'CHK-3' }
        )
        $made = @($rows | ForEach-Object { if ($_.owner_id) { $_ } else { $_ | Add-Member owner_id $owner -PassThru } } |
            New-CCCase -CaseType patient -ErrorVariable ev -ErrorAction SilentlyContinue)
        $made.Name | Should -Be @('Good 1', 'Good 3')
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*-OwnerId*'
        $ev[0].TargetObject.external_id | Should -Be 'CHK-2'
        @(Get-CaseWrites).Count | Should -Be 1
    }

    It 'narrows a rejection that names no row (an unresolvable index) down by halving the batch: only the bad rows fail' {
        $rows = 1..10 | ForEach-Object {
            [pscustomobject]@{ name = "Row $_"; external_id = "ROW-$_"; indices = if ($_ -in 3, 8) { @{ parent = @{ external_id = 'MISSING'; case_type = 'household' } } } else { @{} } }
        }
        $made = @($rows | New-CCCase -CaseType patient -OwnerId $owner -ErrorVariable ev -ErrorAction SilentlyContinue)
        $made.Count | Should -Be 8
        $ev.Count | Should -Be 2
        ($ev.TargetObject.external_id | Sort-Object) -join ',' | Should -Be 'ROW-3,ROW-8'
        # 10 rows, 2 bad: the halves that hold a bad row are split again; good halves are written at once.
        @(Get-CaseWrites).Count | Should -BeLessOrEqual 11
        @(Get-CaseWrites | Where-Object { $_.status -eq 200 }).Count | Should -BeLessOrEqual 4
        (Get-CasesByPrefix 'ROW-').Count | Should -Be 8
    }

    It 'links rows by temporary id, also across batches' {
        $rows = @([pscustomobject]@{ name = 'Household'; external_id = 'TMP-HH'; temporary_id = 'hh'; case_type = 'household' }) +
            (1..120 | ForEach-Object { [pscustomobject]@{ name = "Member $_"; external_id = "TMP-$_"; case_type = 'person'; indices = @{ parent = @{ temporary_id = 'hh'; case_type = 'household' } } } })
        $made = @($rows | New-CCCase -OwnerId $owner)
        $made.Count | Should -Be 121
        $hh = $made[0]
        @($made | Select-Object -Skip 1 | Where-Object { $_.Indices.parent.CaseId -ne $hh.Id }).Count | Should -Be 0
        @(Get-CCCase -ApiVersion 2 -Index @{ parent = $hh.Id }).Count | Should -Be 120
    }

    It 'retries a create whose answer was lost as an upsert by external id: one case each' {
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = 'commit-drop' }) } | Out-Null
        $made = @(1..3 | ForEach-Object { [pscustomobject]@{ name = "Lost $_"; external_id = "LOST-$_" } } | New-CCCase -CaseType patient -OwnerId $owner -Verbose 4>$null)
        $made.Count | Should -Be 3
        (Get-CasesByPrefix 'LOST-').Count | Should -Be 3
        $writes = @(Get-CaseWrites)
        $writes.Count | Should -Be 2
        $writes[1].method | Should -Be 'PUT'
    }

    It 'does not repeat a lost create without an external id: OutcomeUnknown per row, nothing twice' {
        $before = @(Get-CCCase -ApiVersion 2 -CaseType lostnoext).Count
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = 'commit-drop' }) } | Out-Null
        $made = @(1..3 | ForEach-Object { [pscustomobject]@{ name = "NoExt $_" } } | New-CCCase -CaseType lostnoext -OwnerId $owner -ErrorVariable ev -ErrorAction SilentlyContinue)
        $made.Count | Should -Be 0
        $ev.Count | Should -Be 3
        $ev | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'CommCare.OutcomeUnknown*' }
        @(Get-CaseWrites).Count | Should -Be 1
        @(Get-CCCase -ApiVersion 2 -CaseType lostnoext).Count | Should -Be ($before + 3)
    }

    It '-WhatIf sends nothing' {
        New-CCCase -CaseType patient -Name 'Not made' -OwnerId $owner -WhatIf
        @(Get-CaseWrites).Count | Should -Be 0
    }
}

Describe 'Set-CCCase and Close-CCCase' {
    BeforeEach { Reset-Emu $url }

    It 'upserts CSV rows by a computed external id: the first run creates, the second updates' {
        $csv = Join-Path ([IO.Path]::GetTempPath()) ("cc-patients-" + [guid]::NewGuid() + '.csv')
        1..30 | ForEach-Object { [pscustomobject]@{ pid = "UP-$_"; case_name = "Up $_"; status = 'new' } } | Export-Csv $csv -NoTypeInformation
        Import-Csv $csv | Set-CCCase -ExternalId { $_.pid } -Upsert -CaseType patient -OwnerId $owner
        $first = @(Get-CasesByPrefix 'UP-')
        $first.Count | Should -Be 30
        $first[0].Properties.status | Should -Be 'new'
        (Import-Csv $csv) | ForEach-Object { $_.status = 'seen'; $_ } | Set-CCCase -ExternalId { $_.pid } -Upsert -CaseType patient -OwnerId $owner
        $second = @(Get-CasesByPrefix 'UP-')
        $second.Count | Should -Be 30
        @($second | Where-Object { $_.Properties.status -ne 'seen' }).Count | Should -Be 0
        ($second.Id | Sort-Object) -join ',' | Should -Be (($first.Id | Sort-Object) -join ',')
    }

    It 'changes only what is given for cases piped from Get-CCCase' {
        $c = New-CCCase -CaseType patient -Name 'Keep my name' -OwnerId $owner -ExternalId KEEP-1 -Property @{ a = '1' }
        Get-CCCase -ApiVersion 2 -Id $c.Id | Set-CCCase -Property @{ b = '2' }
        $after = Get-CCCase -ApiVersion 2 -Id $c.Id
        $after.Name | Should -Be 'Keep my name'
        $after.Properties.a | Should -Be '1'
        $after.Properties.b | Should -Be '2'
    }

    It 'an update of a case that does not exist is that row''s error' {
        $ok = New-CCCase -CaseType patient -Name 'Exists' -OwnerId $owner
        $out = @($ok.Id, 'no-such-case-id' | ForEach-Object { [pscustomobject]@{ case_id = $_; status = 'x' } } | Set-CCCase -PassThru -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Id | Should -Be $ok.Id
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*no-such-case-id*'
    }

    It 'closes the cases the pipeline selects' {
        $made = @(1..5 | ForEach-Object { New-CCCase -CaseType closeme -Name "C $_" -OwnerId $owner -Property @{ dead = if ($_ % 2) { 'yes' } else { 'no' } } })
        Get-CCCase -ApiVersion 2 -CaseType closeme -Closed:$false | Where-Object { $_.Properties.dead -eq 'yes' } | Close-CCCase -Confirm:$false
        $open = @(Get-CCCase -ApiVersion 2 -CaseType closeme -Closed:$false)
        $open.Count | Should -Be 2
        @(Get-CCCase -ApiVersion 2 -CaseType closeme -Closed:$true).Count | Should -Be 3
    }
}

Describe 'Case writes at scale under faults' {
    It '1,000 rows in batches (20 invalid) under 10% faults incl. commit-then-drop: 980 exist, 20 row errors, none twice' {
        Reset-Emu $url
        $rows = foreach ($i in 1..1000) {
            $r = [ordered]@{ name = "Scale $i"; external_id = "SCALE-$i"; owner_id = $owner; district = "D$($i % 9)" }
            if ($i % 50 -eq 7) {
                switch ([math]::Floor($i / 50) % 4) {
                    0 { $r.owner_id = '' }                                   # caught before sending
                    1 { $r['bad name'] = 'x' }                               # caught before sending
                    2 { $r.indices = @{ parent = @{ external_id = "NOPE-$i"; case_type = 'household' } } }   # the server rejects the row
                    3 { $r.name = '' }                                       # caught before sending
                }
            }
            [pscustomobject]$r
        }
        $s = Connect-TestServer $url -SkipValidation -Options @{ MaxRetryCount = 8 }
        Invoke-Emu $url 'faults' -Body @{ seed = 11; rate = 0.1; kinds = @('429', '500', '502', 'drop', 'commit-drop', 'truncate') } | Out-Null
        $made = @($rows | New-CCCase -Session $s -CaseType patient -ErrorVariable failed -ErrorAction SilentlyContinue)
        Invoke-Emu $url 'faults' -Method DELETE | Out-Null
        $failed.Count | Should -Be 20
        $made.Count | Should -Be 980
        $onServer = @(Get-CasesByPrefix 'SCALE-')
        $onServer.Count | Should -Be 980
        ($onServer.ExternalId | Sort-Object -Unique).Count | Should -Be 980
        (@(Get-EmuRequests $url | Where-Object { $_.fault }).Count) | Should -BeGreaterThan 0
    }
}

Describe 'Send-CCFormSubmission and New-CCCaseUpdateForm' {
    BeforeAll {
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-forms-" + [guid]::NewGuid())
        New-Item -ItemType Directory $dir | Out-Null
        function script:New-FormFile([string] $Name, [string] $InstanceId, [string] $Extra = '') {
            $xml = @"
<?xml version="1.0" encoding="UTF-8"?>
<data xmlns="http://example.org/visit" name="Visit" uiVersion="1" version="1">
  <weight>12.5</weight>
  <photo>photo.jpg</photo>
  $Extra
  <n0:meta xmlns:n0="http://openrosa.org/jr/xforms">
    <n0:deviceID>pester</n0:deviceID>
    <n0:timeStart>2026-01-01T10:00:00.000000Z</n0:timeStart>
    <n0:timeEnd>2026-01-01T10:05:00.000000Z</n0:timeEnd>
    <n0:username>worker1</n0:username>
    <n0:userID>$owner</n0:userID>
    <n0:instanceID>$InstanceId</n0:instanceID>
  </n0:meta>
</data>
"@
            $p = Join-Path $dir $Name
            [IO.File]::WriteAllText($p, $xml)
            $p
        }
        $script:photo = Join-Path $dir 'photo.jpg'
        [IO.File]::WriteAllBytes($photo, [byte[]](0..255 + 0..255 + 7))
    }
    BeforeEach { Reset-Emu $url }

    It 'submits a form with an attachment; the form and the attachment come back byte for byte' {
        $id = [guid]::NewGuid().ToString()
        $r = Send-CCFormSubmission -Path (New-FormFile 'visit.xml' $id) -Attachment $photo
        $r.Nature | Should -Be 'submit_success'
        $r.IsDuplicate | Should -BeFalse
        $r.FormId | Should -Be $id
        $f = Get-CCForm -Id $id
        $f.Attachments.Keys | Should -Contain 'photo.jpg'
        $saved = Save-CCFormAttachment -FormId $id -Name photo.jpg -Path (Join-Path $dir 'out/')
        $saved | Should -BeOfType ([IO.FileInfo])
        (Get-FileHash $saved.FullName).Hash | Should -Be (Get-FileHash $photo).Hash
    }

    It 'a resubmission of the same form is a duplicate, not a second form' {
        $id = [guid]::NewGuid().ToString()
        $file = New-FormFile 'dup.xml' $id
        (Send-CCFormSubmission -Path $file).IsDuplicate | Should -BeFalse
        $again = Send-CCFormSubmission -Path $file
        $again.IsDuplicate | Should -BeTrue
        $again.Nature | Should -Be 'submit_success'
        @(Get-CCForm -Id $id).Count | Should -Be 1
    }

    It 'a form CommCare rejects is an error, not a success (201 with submit_error)' {
        $bad = '<n1:case xmlns:n1="http://commcarehq.org/case/transaction/v2" case_id="no-such-case-x" date_modified="2026-01-01T10:00:00Z"><n1:index><n1:parent case_type="x">missing-parent-case</n1:parent></n1:index></n1:case>'
        $out = @(Send-CCFormSubmission -Path (New-FormFile 'bad.xml' ([guid]::NewGuid()) $bad) -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 0
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*was not submitted*InvalidCaseIndex*'
    }

    It 'refuses malformed XML, a form without xmlns and a missing file before sending, and carries on' {
        $broken = Join-Path $dir 'broken.xml'; Set-Content $broken '<data xmlns="x:y"><a></data>'
        $nons = Join-Path $dir 'nons.xml'; Set-Content $nons '<data><a>1</a></data>'
        $good = New-FormFile 'good.xml' ([guid]::NewGuid())
        $out = @($broken, $nons, (Join-Path $dir 'nope.xml'), $good | ForEach-Object { Get-Item $_ -ErrorAction SilentlyContinue; if (-not (Test-Path $_)) { [pscustomobject]@{ FullName = $_ } } } |
            Send-CCFormSubmission -ErrorVariable ev -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 1
        $ev.Count | Should -Be 3
        ($ev.Exception.Message -join "`n") | Should -BeLike '*not well-formed*'
        ($ev.Exception.Message -join "`n") | Should -BeLike '*xmlns*'
        ($ev.Exception.Message -join "`n") | Should -BeLike '*does not exist*'
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*receiver*' }).Count | Should -Be 1
    }

    It 'New-CCCaseUpdateForm creates and updates cases through forms; a lost answer is resent as a duplicate' {
        $form = New-CCCaseUpdateForm -Create -CaseType patient -Name 'Form Case' -OwnerId $owner -ExternalId FORM-1 -Property @{ status = 'new' }
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = 'commit-drop' }) } | Out-Null
        $r = $form | Send-CCFormSubmission
        $r.Nature | Should -Be 'submit_success'
        $case = Get-CCCase -ApiVersion 2 -Id $form.CaseIds[0]
        $case.Properties.status | Should -Be 'new'
        @(Get-CCCase -ApiVersion 2 -ExternalId FORM-1).Count | Should -Be 1
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*receiver*' }).Count | Should -Be 2
        New-CCCaseUpdateForm -CaseId $case.Id -Property @{ status = 'referred' } -Close | Send-CCFormSubmission | Out-Null
        $after = Get-CCCase -ApiVersion 2 -Id $case.Id
        $after.Properties.status | Should -Be 'referred'
        $after.Closed | Should -BeTrue
    }
}

Describe 'Import-CCCaseData' {
    BeforeEach { Reset-Emu $url }

    It 'builds a workbook from pipeline rows, follows the import to the end, and the cases exist' {
        $rows = 1..40 | ForEach-Object { [pscustomobject]@{ name = "Imp $_"; external_id = "IMP-$_"; owner_id = $owner; village = "V$_" } }
        $import = $rows | Import-CCCaseData -CaseType patient -SearchField external_id -CreateNewCases -WarningVariable warn 3>$null
        $import | Should -BeOfType ([CommCare.Models.CCCaseImport])
        $import.State | Should -Be 'Completed'
        $import.CreatedCount | Should -Be 40
        $warn.Count | Should -Be 1
        (Get-CasesByPrefix 'IMP-').Count | Should -Be 40
        (Get-CCCase -ApiVersion 2 -ExternalId IMP-7).Properties.village | Should -Be 'V7'
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*bulk_upload_api*' }).Count | Should -Be 1
    }

    It 'refuses a CSV path, a reserved column and an empty pipeline before uploading' {
        $csv = Join-Path ([IO.Path]::GetTempPath()) 'cases.csv'; Set-Content $csv 'name'
        { Import-CCCaseData -Path $csv -CaseType patient } | Should -Throw '*-Path*Import-Csv*'
        { [pscustomobject]@{ name = 'a'; type = 'b' } | Import-CCCaseData -CaseType patient } | Should -Throw "*'type'*reserved*"
        { @() | Import-CCCaseData -CaseType patient } | Should -Throw '*no rows*'
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*bulk_upload_api*' }).Count | Should -Be 0
    }
}

Describe 'Import-CCCaseData from files, failures and row errors' {
    BeforeEach { Reset-Emu $url }

    It 'imports an .xlsx file: matching rows update, new rows are created, a bad owner is a row error naming the rows' {
        $existing = New-CCCase -CaseType patient -Name 'Before import' -OwnerId $owner -ExternalId XL-1 -Property @{ status = 'old' }
        $file = Join-Path ([IO.Path]::GetTempPath()) ("cc-import-" + [guid]::NewGuid() + '.xlsx')
        New-TestXlsx $file @(
            @('name', 'external_id', 'owner_id', 'status'),
            @('After import', 'XL-1', $owner, 'new'),
            @('Fresh 2', 'XL-2', $owner, 'new'),
            @('Bad owner', 'XL-3', 'not-a-real-owner', 'new'),
            @('Fresh 4', 'XL-4', $owner, 'new'))
        $import = Import-CCCaseData -Path $file -CaseType patient -SearchField external_id -CreateNewCases -ErrorVariable ev -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $import.State | Should -Be 'Completed'
        $import.MatchCount | Should -Be 1
        $import.CreatedCount | Should -Be 2
        $import.Errors.Count | Should -Be 1
        $import.Errors[0].Title | Should -Be 'Invalid Owner Id'
        $import.Errors[0].Rows | Should -Be @(4)
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*Invalid Owner Id*rows 4*'
        (Get-CCCase -ApiVersion 2 -Id $existing.Id).Properties.status | Should -Be 'new'
        (Get-CasesByPrefix 'XL-').Count | Should -Be 3
    }

    It 'an import that fails on the server is a terminating error, not a result' {
        $err = $null
        try { [pscustomobject]@{ name = 'x'; external_id = 'FAIL-1'; owner_id = $owner } | Import-CCCaseData -CaseType fail-import -SearchField external_id -CreateNewCases -WarningAction SilentlyContinue } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.Server*'
        $err.Exception.Message | Should -BeLike '*failed on the server*'
    }

    It '-NoWait returns the queued import; Get-CCCaseImport -Wait follows it to the end' {
        $q = [pscustomobject]@{ name = 'Later'; external_id = 'LATER-1'; owner_id = $owner } | Import-CCCaseData -CaseType patient -SearchField external_id -CreateNewCases -NoWait -WarningAction SilentlyContinue
        $q.State | Should -Be 'Queued'
        $q.StatusUrl | Should -BeLike "$url/a/demo/importer/*"
        $done = $q | Get-CCCaseImport -Wait
        $done.State | Should -Be 'Completed'
        $done.CreatedCount | Should -Be 1
    }
}

Describe 'Large attachments' {
    BeforeEach { Reset-Emu $url }

    It 'streams a 40 MB form attachment to disk, resuming after the body is cut off' {
        $formId = (Get-CCForm -First 1).Id
        Invoke-Emu $url 'attachments' -Body @{ formId = $formId; name = 'big.mp4'; size = 40MB; contentType = 'video/mp4'; seed = 3 } | Out-Null
        Invoke-Emu $url 'faults' -Body @{ script = @('truncate') } | Out-Null
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-big-" + [guid]::NewGuid())
        New-Item -ItemType Directory $dir | Out-Null
        $f = Save-CCFormAttachment -FormId $formId -Name big.mp4 -Path $dir -Verbose 4>$null
        $f.Length | Should -Be 40MB
        @(Get-ChildItem $dir -Force).Count | Should -Be 1        # no .partial file left behind
        $direct = Join-Path $dir 'direct.bin'
        Invoke-WebRequest "$url/a/demo/api/form/attachment/$formId/big.mp4" -Headers @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" } -OutFile $direct
        (Get-FileHash $f.FullName).Hash | Should -Be (Get-FileHash $direct).Hash
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*big.mp4' -and $_.fault -eq 'truncate' }).Count | Should -Be 1
    }

    It 'refuses to overwrite a file without -Force, and a missing attachment is a not-found error' {
        $formId = (Get-CCForm -First 1).Id
        $missing = @(Save-CCFormAttachment -FormId $formId -Name no-such.jpg -Path ([IO.Path]::GetTempPath()) -ErrorVariable ev -ErrorAction SilentlyContinue)
        $missing.Count | Should -Be 0
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
    }
}

Describe 'Round trip through CSV' {
    BeforeEach { Reset-Emu $url }

    It 'Get-CCCase | Export-Csv, then Import-Csv | Set-CCCase writes no case fields as properties' {
        $made = New-CCCase -CaseType patient -Name 'Round Trip' -OwnerId $owner -ExternalId RT-1 -Property @{ village = 'Kisumu' }
        $csv = Join-Path ([IO.Path]::GetTempPath()) ("cc-rt-" + [guid]::NewGuid() + '.csv')
        Get-CCCase -ApiVersion 2 -Id $made.Id | Export-Csv $csv -NoTypeInformation
        # One name per column: the fields under their own names, then the case's properties under theirs.
        (Get-Content $csv -First 1) | Should -BeLike '"Id","Domain","CaseType","Name","OwnerId","ExternalId",*"village"'
        (Get-Content $csv -First 1) | Should -Not -Match '"Properties"|"case_id"'
        $rows = Import-Csv $csv
        $rows[0].village = 'Kakamega'
        $after = $rows | Set-CCCase -PassThru
        $after.Properties.Keys | Should -Not -Contain 'Closed'
        $after.Properties.Keys | Should -Not -Contain 'IndexedOn'
        $after.Properties.Keys | Should -Not -Contain 'Properties'
        $after.Properties.Keys | Should -Not -Contain 'Id'
        $after.village | Should -Be 'Kakamega'
        $after.Name | Should -Be 'Round Trip'
    }
}
