BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Locations' {
    BeforeEach { Reset-Emu $url }

    It 'lists locations and types, and filters by type, name and site code' {
        $types = @(Get-CCLocationType)
        $types.Count | Should -BeGreaterThan 1
        $types[0] | Should -BeOfType ([CommCare.Models.CCLocationType])
        $all = @(Get-CCLocation)
        $all.Count | Should -BeGreaterThan 3
        $district = $all | Where-Object LocationType -eq 'district' | Select-Object -First 1
        $district | Should -Not -BeNullOrEmpty
        @(Get-CCLocation -LocationType district).Count | Should -Be @($all | Where-Object LocationType -eq 'district').Count
        (Get-CCLocation -SiteCode $district.SiteCode).Id | Should -Be $district.Id
        (Get-CCLocation -Id $district.Id).Name | Should -Be $district.Name
        $district.ParentId | Should -Not -BeNullOrEmpty
        ($all | Where-Object { -not $_.ParentId }).Count | Should -BeGreaterThan 0
    }

    It 'creates many locations in batches of at most 100 per request' {
        $parent = Get-CCLocation -LocationType district | Select-Object -First 1
        $clinicType = (Get-CCLocationType | Where-Object { $_.ParentId -and $_.Code -ne 'district' -and $_.Code -ne 'country' } | Select-Object -First 1).Code
        $rows = 1..150 | ForEach-Object { [pscustomobject]@{ name = "Batch Clinic $_"; location_type_code = $clinicType; parent_location_id = $parent.Id } }
        $made = @($rows | New-CCLocation)
        $made.Count | Should -Be 150
        ($made.SiteCode | Sort-Object -Unique).Count | Should -Be 150
        $made[0].SiteCode | Should -Be 'batch_clinic_1'
        @(Get-EmuRequests $url | Where-Object method -eq 'PATCH').Count | Should -Be 2
    }

    It 'isolates a bad row in a rejected batch: the others are created, the bad one is an error' {
        $parent = Get-CCLocation -LocationType district | Select-Object -First 1
        $clinicType = (Get-CCLocationType | Where-Object { $_.ParentId -and $_.Code -ne 'district' -and $_.Code -ne 'country' } | Select-Object -First 1).Code
        $rows = @(
            [pscustomobject]@{ name = 'Iso A'; location_type_code = $clinicType; parent_location_id = $parent.Id }
            [pscustomobject]@{ name = 'Iso B'; location_type_code = 'no_such_type'; parent_location_id = $parent.Id }
            [pscustomobject]@{ name = 'Iso C'; location_type_code = $clinicType; parent_location_id = $parent.Id })
        $made = @($rows | New-CCLocation -ErrorVariable ev -ErrorAction SilentlyContinue)
        $made.Name | Should -Be @('Iso A', 'Iso C')
        $ev.Count | Should -Be 1
        $ev[0].TargetObject | Should -Be 'Iso B'
    }

    It 'Set-CCLocation merges custom fields and keeps the site code on rename' {
        $d = Get-CCLocation -LocationType district | Select-Object -First 1
        $d | Set-CCLocation -Property @{ region = 'north' }
        $d | Set-CCLocation -Property @{ zone = '7' } -NewName "$($d.Name) Renamed"
        $after = Get-CCLocation -Id $d.Id
        $after.LocationData['region'] | Should -Be 'north'
        $after.LocationData['zone'] | Should -Be '7'
        $after.Name | Should -Be "$($d.Name) Renamed"
        $after.SiteCode | Should -Be $d.SiteCode
    }

    It '-WhatIf creates nothing' {
        New-CCLocation -Name 'Never' -LocationType district -WhatIf
        @(Get-EmuRequests $url | Where-Object method -ne 'GET').Count | Should -Be 0
    }
}
