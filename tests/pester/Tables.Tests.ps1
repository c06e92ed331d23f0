# Default views as a user sees them: full ids at 120 and at 80 columns, headers that do not wrap,
# Format-List with the id first.
BeforeDiscovery {
    $script:Lists = @(
        @{ Command = 'Get-CCCase' }, @{ Command = 'Get-CCLocation' }, @{ Command = 'Get-CCForm' }, @{ Command = 'Get-CCMobileWorker' },
        @{ Command = 'Get-CCGroup' }, @{ Command = 'Get-CCWebUser' }, @{ Command = 'Get-CCReport' }, @{ Command = 'Get-CCApplication' },
        @{ Command = 'Get-CCLookupTable' }, @{ Command = 'Get-CCExport' }, @{ Command = 'Get-CCIdentity' })
    $script:Widths = @(120, 80)
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
    $script:emu = Start-TestEnvironment @('--cases', '50', '--forms', '50')
}

AfterAll { Stop-TestEmulator $emu }

Describe '<Command> | Select-Object -First 5 | Out-String' -ForEach $Lists {
    It 'shows every record''s full id at -Width <_>' -ForEach $Widths {
        $width = $_
        $rows = @(& $Command | Select-Object -First 5)
        $rows.Count | Should -BeGreaterThan 0
        $text = $rows | Out-String -Width $width
        $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
        foreach ($r in $rows) {
            $r.Id | Should -Not -BeNullOrEmpty
            $text | Should -Match "(?m)^$([regex]::Escape([string]$r.Id))\s" -Because "the Id column comes first and holds the whole id at $width columns"
        }
        # One header line, then the dashes, then one line per record: nothing wrapped into fragments.
        $lines.Count | Should -Be ($rows.Count + 2) -Because "a wrapped header or row at $width columns:`n$text"
        $lines[0] | Should -Match '^Id\s'
        foreach ($l in $lines) { $l.TrimEnd().Length | Should -BeLessOrEqual $width }
        $lines | Where-Object { $_ -match '…' } | Select-Object -First 1 | ForEach-Object {
            # A value may be cut, never an id column: the first 32 characters of each row are the id.
            $_.Substring(0, 32) | Should -Not -Match '…'
        }
    }

    It 'shows the id first in Format-List' {
        $r = & $Command | Select-Object -First 1
        $first = @(($r | Format-List | Out-String -Width 200) -split "`r?`n" | Where-Object { $_.Trim() })[0]
        $first | Should -Match "^Id\s+: $([regex]::Escape([string]$r.Id))$"
    }
}

Describe 'Columns at 120 that are not there at 80' {
    It 'adds the owner to cases and the parent to locations at 120, without cutting them' {
        $case = Get-CCCase | Where-Object OwnerId | Select-Object -First 1
        ($case | Out-String -Width 120) | Should -Match ([regex]::Escape($case.OwnerId))
        ($case | Out-String -Width 80) | Should -Not -Match 'OwnerId'
        $loc = Get-CCLocation | Where-Object ParentId | Select-Object -First 1
        ($loc | Out-String -Width 120) | Should -Match ([regex]::Escape($loc.ParentId))
    }
}
