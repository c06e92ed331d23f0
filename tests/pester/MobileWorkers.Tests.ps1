BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url

    function script:New-WorkerCsv([int] $Count, [string] $Prefix, [scriptblock] $Mutate) {
        $rows = foreach ($i in 1..$Count) {
            $row = [ordered]@{ username = "$Prefix$i"; password = "Pw-$i-secret!"; first_name = "Ana $i"; last_name = 'Souza'
                email = "$Prefix$i@example.org"; language = 'pt'; phone_numbers = "+2551000$i;+2552000$i"; 'user_data.chw_id' = "CHW-$i" }
            if ($Mutate) { & $Mutate $row $i }
            [pscustomobject]$row
        }
        $file = Join-Path ([IO.Path]::GetTempPath()) ("cc-workers-" + [guid]::NewGuid() + '.csv')
        $rows | Export-Csv $file -NoTypeInformation -Encoding utf8
        $file
    }
    function script:Get-WorkerNames { @(Get-CCMobileWorker) + @(Get-CCMobileWorker -Archived) | ForEach-Object UserName }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Get-CCMobileWorker' {
    BeforeEach { Reset-Emu $url }

    It 'lists active workers, and -Archived only the deactivated ones' {
        $active = @(Get-CCMobileWorker)
        $archived = @(Get-CCMobileWorker -Archived)
        $active.Count | Should -BeGreaterThan 5
        $archived.Count | Should -BeGreaterThan 0
        $active[0] | Should -BeOfType ([CommCare.Models.CCMobileWorker])
        ($active | Where-Object { $_.IsActive -ne $true }).Count | Should -Be 0
        ($archived | Where-Object { $_.IsActive -ne $false }).Count | Should -Be 0
        $active.UserName | Should -Contain 'worker1@demo.commcarehq.org'
        (Get-EmuRequests $url | Where-Object { $_.query -like '*archived=true*' }).Count | Should -Be 1
    }

    It 'gets workers by short user name and by id; a missing one is a non-terminating error' {
        $w = Get-CCMobileWorker -UserName worker1
        $w.UserName | Should -Be 'worker1@demo.commcarehq.org'
        $w.ShortUserName | Should -Be 'worker1'
        (Get-CCMobileWorker -Id $w.Id).UserName | Should -Be $w.UserName
        $none = @(Get-CCMobileWorker -Id 'ffffffffffffffffffffffffffffffff' -ErrorVariable ev -ErrorAction SilentlyContinue)
        $none.Count | Should -Be 0
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
    }
}

Describe 'New-CCMobileWorker from a CSV' {
    BeforeEach { Reset-Emu $url }

    It 'creates every valid row, reports each bad row once with the row as TargetObject, and carries on' {
        $csv = New-WorkerCsv 12 'csvok' {
            param($row, $i)
            switch ($i) {
                3 { $row.username = 'bad name!' }            # special characters
                5 { $row.password = '' }                      # no password
                7 { $row.username = 'csvok1' }                # duplicate inside the file
                9 { $row.username = 'worker1' }               # already exists on the server
                11 { $row.username = 'x@otherdomain.org' }    # wrong e-mail domain
            }
        }
        $created = @(Import-Csv $csv | New-CCMobileWorker -ErrorVariable failed -ErrorAction SilentlyContinue)
        $created.Count | Should -Be 7
        $failed.Count | Should -Be 5
        ($failed.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object) |
            Should -Be @('CommCare.MobileWorker.DuplicateInInput', 'CommCare.MobileWorker.InvalidUserName', 'CommCare.MobileWorker.InvalidUserName', 'CommCare.MobileWorker.PasswordRequired', 'CommCare.MobileWorker.UserNameTaken')
        ($failed | Where-Object { $_.TargetObject.username -eq 'worker1' }).Exception.Message | Should -BeLike '*already taken*'
        ($failed | ForEach-Object { $_.TargetObject.first_name }) | Should -Contain 'Ana 3'
        # Only the rows that passed the client's checks reached the server.
        @(Get-EmuRequests $url | Where-Object method -eq 'POST').Count | Should -Be 8
        $w = Get-CCMobileWorker -UserName csvok2
        $w.FirstName | Should -Be 'Ana 2'
        $w.PhoneNumbers | Should -Be @('25510002', '25520002')
        $w.UserData['chw_id'] | Should -Be 'CHW-2'
        $w.Email | Should -Be 'csvok2@example.org'
    }

    It '-WhatIf sends no write request' {
        $csv = New-WorkerCsv 5 'whatif' $null
        Import-Csv $csv | New-CCMobileWorker -WhatIf
        @(Get-EmuRequests $url | Where-Object method -ne 'GET').Count | Should -Be 0
        (Get-WorkerNames) | Should -Not -Contain 'whatif1@demo.commcarehq.org'
    }

    It 're-running the same CSV with -SkipExisting creates nothing and reports the skipped rows' {
        $csv = New-WorkerCsv 6 'rerun' $null
        @(Import-Csv $csv | New-CCMobileWorker).Count | Should -Be 6
        Reset-Emu $url
        $info = $null
        $again = @(Import-Csv $csv | New-CCMobileWorker -SkipExisting -InformationVariable info)
        $again.Count | Should -Be 0
        @(Get-EmuRequests $url | Where-Object method -eq 'POST').Count | Should -Be 0
        ($info | Out-String) | Should -BeLike '*0 created, 6 skipped*'
    }

    It 'takes groups by exact name as well as by id, and reports an unknown group name for that row' {
        $north = Get-CCGroup -Name 'North Team'
        $south = Get-CCGroup -Name 'South Team'
        $rows = @(
            [pscustomobject]@{ username = 'grpname1'; password = 'Pw-grp-1'; groups = 'North Team;South Team' }
            [pscustomobject]@{ username = 'grpname2'; password = 'Pw-grp-2'; groups = 'No Such Team' }
            [pscustomobject]@{ username = 'grpname3'; password = 'Pw-grp-3'; groups = $north.Id })
        $made = @($rows | New-CCMobileWorker -ErrorVariable ev -ErrorAction SilentlyContinue)
        $made.UserName | Should -Be @('grpname1@demo.commcarehq.org', 'grpname3@demo.commcarehq.org')
        @((Get-CCMobileWorker -UserName grpname1).Groups | Sort-Object) | Should -Be @(@($north.Id, $south.Id) | Sort-Object)
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.UnknownGroup*'
        @(Get-EmuRequests $url | Where-Object { $_.method -eq 'POST' -and $_.target -like 'grpname2*' }).Count | Should -Be 0
    }

    It 'sends a password-reset e-mail, and says why when the worker has no e-mail address' {
        Get-CCMobileWorker -UserName worker1 | Send-CCMobileWorkerPasswordReset -ErrorVariable ok -ErrorAction SilentlyContinue
        $ok.Count | Should -Be 0
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*/email_password_reset/' }).Count | Should -Be 1
        Get-CCMobileWorker -UserName worker3 | Send-CCMobileWorkerPasswordReset -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev.Count | Should -Be 1
        $ev[0].Exception.Message | Should -BeLike '*does not have an email*'
    }

    It 'creates in parallel with -ThrottleLimit: every valid row once, errors still per row, under faults' {
        $csv = New-WorkerCsv 300 'par' { param($row, $i) if ($i -eq 150) { $row.username = 'par bad' } }
        Invoke-Emu $url 'faults' -Body @{ seed = 9; rate = 0.1; kinds = @('429', '500', 'drop', 'commit-drop') } | Out-Null
        $s = Connect-TestServer $url -SkipValidation -Options @{ MaxRetryCount = 8; MaxConcurrency = 4 }
        $made = @(Import-Csv $csv | New-CCMobileWorker -Session $s -ThrottleLimit 4 -ErrorVariable ev -ErrorAction SilentlyContinue)
        Invoke-Emu $url 'faults' -Method DELETE | Out-Null
        $made.Count | Should -Be 299
        ($made.UserName | Sort-Object -Unique).Count | Should -Be 299
        $ev.Count | Should -Be 1
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.InvalidUserName*'
        @((@(Get-CCMobileWorker) + @(Get-CCMobileWorker -Archived)).UserName | Where-Object { $_ -like 'par*' }).Count | Should -Be 299
    }

    It 'generates a password when asked and returns it once' {
        $w = New-CCMobileWorker -UserName genpw1 -FirstName Gen -GeneratePassword
        $w.GeneratedPassword.Length | Should -Be 16
        (Get-CCMobileWorker -UserName genpw1).GeneratedPassword | Should -BeNullOrEmpty
    }

    It 'never creates a worker twice when the server commits and then drops the answer' {
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = 'commit-drop' }) } | Out-Null
        $w = New-CCMobileWorker -UserName dropped1 -Password 'Pw-dropped-1' -Verbose 4>&1 | Where-Object { $_ -is [CommCare.Models.CCMobileWorker] }
        $w.UserName | Should -Be 'dropped1@demo.commcarehq.org'
        @(Get-WorkerNames | Where-Object { $_ -eq 'dropped1@demo.commcarehq.org' }).Count | Should -Be 1
        @(Get-EmuRequests $url | Where-Object { $_.method -eq 'POST' -and $_.target -like 'dropped1*' }).Count | Should -Be 1
    }

    It 'keeps passwords out of output, verbose, debug and the request log' {
        $out = New-CCMobileWorker -UserName secretpw1 -Password 'Very-Secret-Pw-77' -Verbose -Debug 5>&1 4>&1 | Out-String
        $out | Should -Not -BeLike '*Very-Secret-Pw-77*'
        (Invoke-Emu $url 'requests' -Method GET | ConvertTo-Json -Depth 4) | Should -Not -BeLike '*Very-Secret-Pw-77*'
    }
}

Describe 'Changing mobile workers' {
    BeforeEach { Reset-Emu $url }

    It 'Set-CCMobileWorker changes only what is given, merging user data, from the pipeline' {
        New-CCMobileWorker -UserName change1 -Password 'Pw-change-1' -FirstName Old -UserData @{ a = '1'; b = '2' } | Out-Null
        Get-CCMobileWorker -UserName change1 | Set-CCMobileWorker -Language fr -UserData @{ b = '3' }
        $w = Get-CCMobileWorker -UserName change1
        $w.Language | Should -Be 'fr'
        $w.FirstName | Should -Be 'Old'
        $w.UserData['a'] | Should -Be '1'
        $w.UserData['b'] | Should -Be '3'
        (Get-EmuRequests $url | Where-Object method -eq 'PUT').Count | Should -Be 1
    }

    It 'Disable- and Enable-CCMobileWorker move a worker between the active and archived lists' {
        New-CCMobileWorker -UserName toggle1 -Password 'Pw-toggle-1' | Out-Null
        Get-CCMobileWorker -UserName toggle1 | Disable-CCMobileWorker
        (Get-CCMobileWorker -Archived).UserName | Should -Contain 'toggle1@demo.commcarehq.org'
        Get-CCMobileWorker -Archived | Where-Object UserName -eq 'toggle1@demo.commcarehq.org' | Enable-CCMobileWorker
        (Get-CCMobileWorker).UserName | Should -Contain 'toggle1@demo.commcarehq.org'
    }

    It 'Remove-CCMobileWorker retires the worker and the name stays reserved' {
        New-CCMobileWorker -UserName retire1 -Password 'Pw-retire-1' | Out-Null
        Get-CCMobileWorker -UserName retire1 | Remove-CCMobileWorker -Confirm:$false
        (Get-WorkerNames) | Should -Not -Contain 'retire1@demo.commcarehq.org'
        New-CCMobileWorker -UserName retire1 -Password 'Pw-retire-1' -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.MobileWorker.UserNameTaken*'
    }

    It 'Remove-CCMobileWorker -WhatIf deletes nothing' {
        Get-CCMobileWorker -UserName worker1 | Remove-CCMobileWorker -WhatIf
        @(Get-EmuRequests $url | Where-Object method -eq 'DELETE').Count | Should -Be 0
    }
}

Describe 'Provisioning at scale under faults' {
    It '2,000 rows (50 invalid) under 10% faults incl. commit-then-drop: 1,950 created once, 50 row errors; a re-run with -SkipExisting creates nothing' {
        Invoke-Emu $url 'users/reset' | Out-Null
        Reset-Emu $url
        $csv = New-WorkerCsv 2000 'bulk' {
            param($row, $i)
            if ($i % 40 -eq 1) {                                                   # every 40th row: 50 invalid rows, four kinds
                switch ([math]::Floor($i / 40) % 4) {
                    0 { $row.username = "bulk bad $i" }
                    1 { $row.password = '' }
                    2 { $row.username = 'bulk2' }
                    3 { $row.username = "bulk$i@elsewhere.org" }
                }
            }
        }
        $s = Connect-TestServer $url -Options @{ MaxRetryCount = 8 }
        Reset-Emu $url
        Invoke-Emu $url 'faults' -Body @{ seed = 5; rate = 0.1; kinds = @('429', '500', '503', 'drop', 'commit-drop') } | Out-Null
        $created = @(Import-Csv $csv | New-CCMobileWorker -Session $s -ErrorVariable failed -ErrorAction SilentlyContinue)
        $faults = @(Get-EmuRequests $url | Where-Object fault)
        Invoke-Emu $url 'faults' -Method DELETE | Out-Null

        $created.Count | Should -Be 1950
        ($created.UserName | Sort-Object -Unique).Count | Should -Be 1950
        $failed.Count | Should -Be 50
        @($failed | Where-Object { $_.FullyQualifiedErrorId -like 'CommCare.MobileWorker.UserNameTaken*' }).Count | Should -Be 0
        @($failed | Where-Object { $null -eq $_.TargetObject.username }).Count | Should -Be 0
        @($faults | Where-Object fault -eq 'commit-drop').Count | Should -BeGreaterThan 5
        $onServer = @(Get-CCMobileWorker -Session $s) + @(Get-CCMobileWorker -Session $s -Archived) | Where-Object UserName -like 'bulk*'
        $onServer.Count | Should -Be 1950
        ($onServer.UserName | Sort-Object -Unique).Count | Should -Be 1950

        Reset-Emu $url
        $info = $null
        $again = @(Import-Csv $csv | New-CCMobileWorker -Session $s -SkipExisting -ErrorVariable failed2 -ErrorAction SilentlyContinue -InformationVariable info)
        $again.Count | Should -Be 0
        $failed2.Count | Should -Be 50
        @(Get-EmuRequests $url | Where-Object method -eq 'POST').Count | Should -Be 0
        ($info | Out-String) | Should -BeLike '*0 created, 1950 skipped*'
    }
}
