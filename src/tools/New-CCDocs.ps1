<#
.SYNOPSIS
    Writes docs/cmdlets/<Name>.md, one Markdown page per cmdlet, from the staged module's help (the same
    source as Get-Help: XML doc comments + Get-Command metadata), and docs/cmdlets/README.md as an index.
#>
param([Parameter(Mandatory)] [string] $ModulePsd1, [Parameter(Mandatory)] [string] $OutDir)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePsd1 -Force
New-Item -ItemType Directory -Force -Path $OutDir | Out-Null
Get-ChildItem $OutDir -Filter '*.md' | Remove-Item
function Flat($x) { (($x | Out-String) -replace '\s+', ' ').Trim() }
$index = [Collections.Generic.List[string]]::new()
$index.Add('# Cmdlets'); $index.Add(''); $index.Add('Generated from the module''s help by `build.ps1 -Task Docs`; `Get-Help <name> -Full` shows the same.'); $index.Add('')
$index.Add('| Cmdlet | Synopsis |'); $index.Add('|---|---|')
foreach ($cmd in Get-Command -Module CommCare -CommandType Cmdlet | Sort-Object Noun, Verb) {
    $h = Get-Help $cmd.Name -Full
    $lines = [Collections.Generic.List[string]]::new()
    $lines.Add("# $($cmd.Name)"); $lines.Add('')
    $lines.Add((Flat $h.Synopsis)); $lines.Add('')
    $lines.Add('## Syntax'); $lines.Add(''); $lines.Add('```')
    # The syntax lines exactly as Get-Help shows them (switches, -WhatIf/-Confirm, [<CommonParameters>]).
    foreach ($line in (($h.Syntax | Out-String -Width 4096) -split "`r?`n")) { if ($line.Trim()) { $lines.Add($line.Trim()) } }
    $lines.Add('```'); $lines.Add('')
    $lines.Add('## Description'); $lines.Add(''); $lines.Add((Flat $h.Description)); $lines.Add('')
    $lines.Add('## Parameters'); $lines.Add('')
    foreach ($p in $h.Parameters.Parameter) {
        $lines.Add("### -$($p.Name)"); $lines.Add('')
        $lines.Add((Flat $p.Description)); $lines.Add('')
        $aliases = if ($p.aliases -and $p.aliases -ne 'none') { "; aliases: $($p.aliases)" } else { '' }
        $lines.Add("Type: ``$($p.type.name)``; required: $($p.required); position: $($p.position); pipeline input: $($p.pipelineInput)$aliases."); $lines.Add('')
    }
    $lines.Add('## Examples'); $lines.Add('')
    $i = 0
    foreach ($ex in $h.Examples.Example) {
        $i++
        $lines.Add("### Example $i"); $lines.Add(''); $lines.Add('```powershell'); $lines.Add(($ex.Code | Out-String).Trim()); $lines.Add('```'); $lines.Add('')
        $lines.Add((Flat $ex.Remarks)); $lines.Add('')
    }
    if ($cmd.OutputType) { $lines.Add('## Outputs'); $lines.Add(''); $lines.Add((($cmd.OutputType | ForEach-Object { "``$($_.Name)``" }) -join ', ')); $lines.Add('') }
    Set-Content -Path (Join-Path $OutDir "$($cmd.Name).md") -Value ($lines -join "`n").TrimEnd() -Encoding utf8NoBOM
    $index.Add("| [$($cmd.Name)]($($cmd.Name).md) | $((Flat $h.Synopsis) -replace '\|', '\|') |")
}
Set-Content -Path (Join-Path $OutDir 'README.md') -Value ($index -join "`n") -Encoding utf8NoBOM
