# Help as a user reads it: Get-Help's examples, syntax and parameter fields, about_CommCare, docs/cmdlets.
# Data-driven over every exported cmdlet, so a cmdlet added later is checked without touching this file.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:Cmdlets = @((Get-ManifestData).CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
}

Describe 'Get-Help <Name>' -ForEach $Cmdlets {
    BeforeAll {
        $cmd = Get-Command $Name -Module CommCare
        $help = Get-Help $Name -Full
    }

    It 'shows a line of code using <Name> in every example (Get-Help -Examples)' {
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterOrEqual 2
        $i = 0
        foreach ($ex in $examples) {
            $i++
            $code = ($ex.Code | Out-String).Trim()
            $code | Should -Match "(?m)(?<![\w-])$([regex]::Escape($Name))(?![\w-])" -Because "example $i of $Name must show the command"
        }
        # And as printed: each example block has its code, not only its remark.
        $text = Get-Help $Name -Examples | Out-String -Width 250
        $blocks = @($text -split '-{10,} EXAMPLE \d+ -{10,}' | Select-Object -Skip 1)
        $blocks.Count | Should -Be $examples.Count
        foreach ($b in $blocks) { $b | Should -Match ([regex]::Escape($Name)) }
    }

    It 'shows the syntax PowerShell itself derives: switches without a type, -WhatIf/-Confirm, [<CommonParameters>]' {
        $ours = @(($help.Syntax | Out-String -Width 4096) -split "`r?`n" | Where-Object { $_.Trim() })
        $theirs = @((Get-Command $Name -Syntax) -split "`r?`n" | Where-Object { $_.Trim() })
        $ours.Count | Should -Be $theirs.Count -Because 'one syntax line per parameter set'
        # Same parameters, same brackets, same value/no value; type names compared without case (PowerShell writes <string>).
        $norm = { param($line) (@([regex]::Matches($line, '(\[?)(\[?-\w+\]?)( <[^>]+>)?\]?|\[<CommonParameters>\]') | ForEach-Object { $_.Value.ToLowerInvariant() }) | Sort-Object) -join ' ' }
        $oursNorm = @($ours | ForEach-Object { & $norm $_ }) | Sort-Object
        $theirsNorm = @($theirs | ForEach-Object { & $norm $_ }) | Sort-Object
        # PowerShell names some types by their C# keyword; map ours to the same spelling.
        $alias = @{ '<int32>' = '<int>'; '<int32[]>' = '<int[]>'; '<int64>' = '<long>'; '<uint64>' = '<ulong>'; '<boolean>' = '<bool>' }
        $fix = { param($s) foreach ($k in $alias.Keys) { $s = $s.Replace($k, $alias[$k]) }; $s }
        (($oursNorm | ForEach-Object { & $fix $_ }) -join "`n") | Should -Be (($theirsNorm | ForEach-Object { & $fix $_ }) -join "`n")
        foreach ($l in $ours) { $l | Should -Match '\[<CommonParameters>\]$' }
        ($ours -join ' ') | Should -Not -Match '<SwitchParameter>'
        if ($cmd.Parameters.ContainsKey('WhatIf')) { $ours | ForEach-Object { $_ | Should -Match '\[-WhatIf\] \[-Confirm\]' } }
    }

    It 'fills the Aliases field of every parameter that has aliases' {
        foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Aliases.Count -and $_.Name -notin [Management.Automation.Cmdlet]::CommonParameters }) {
            $hp = Get-Help $Name -Parameter $p.Name
            $hp.aliases | Should -Be ($p.Aliases -join ', ') -Because "-$($p.Name) of $Name has aliases"
            (Get-Help $Name -Parameter $p.Name | Out-String -Width 250) | Should -Match "Aliases\s+$([regex]::Escape($p.Aliases[0]))"
        }
    }
}

Describe 'about_CommCare and docs/cmdlets' {
    It 'shows about_CommCare as plain help text, not Markdown' {
        $text = Get-Help about_CommCare | Out-String -Width 250
        $text | Should -Match '(?m)^\s*TOPIC\s*$'
        $text | Should -Match '(?m)^\s*SHORT DESCRIPTION\s*$'
        $text | Should -Match '(?m)^\s*LONG DESCRIPTION\s*$'
        $text | Should -Match '(?m)^\s*RESUMABLE EXPORTS'
        $text | Should -Not -Match '```'
        $text | Should -Not -Match '(?m)^\s*#{1,3} '
        $text | Should -Not -Match '`'
        $text | Should -Not -Match '\*\*'
        $text | Should -Not -Match '\]\('
    }

    It 'has docs/cmdlets pages identical to what build.ps1 -Task Docs writes from the current help' {
        $tmp = Join-Path ([IO.Path]::GetTempPath()) ("cc-docs-" + [guid]::NewGuid())
        try {
            $r = Invoke-FreshPwsh "& '$(Join-Path $PSScriptRoot '../../src/tools/New-CCDocs.ps1')' -ModulePsd1 '$ModulePsd1' -OutDir '$tmp'"
            $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
            $docs = Join-Path $PSScriptRoot '../../docs/cmdlets'
            $fresh = @(Get-ChildItem $tmp -Filter *.md)
            $fresh.Count | Should -Be ((Get-ManifestData).CmdletsToExport.Count + 1)
            foreach ($f in $fresh) {
                $page = Join-Path $docs $f.Name
                Test-Path $page | Should -BeTrue -Because "docs/cmdlets/$($f.Name) must exist (run build.ps1 -Task Docs)"
                (Get-Content $page -Raw) | Should -BeExactly (Get-Content $f.FullName -Raw) -Because "docs/cmdlets/$($f.Name) must match the help (run build.ps1 -Task Docs)"
            }
        }
        finally { Remove-Item $tmp -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
