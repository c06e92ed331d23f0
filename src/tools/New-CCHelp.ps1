<#
.SYNOPSIS
    Writes en-US/CommCare.PowerShell.dll-Help.xml (MAML) for the staged module from the compiler's XML
    doc comments (synopsis, description, examples, parameter text) and Get-Command metadata (syntax,
    types, positions, pipeline input). Runs in its own pwsh so the build process stays clean.
#>
param([Parameter(Mandatory)] [string] $ModulePsd1, [Parameter(Mandatory)] [string] $XmlDoc)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePsd1 -Force
$doc = [xml](Get-Content $XmlDoc -Raw)
$members = @{}
foreach ($m in $doc.doc.members.member) { $members[$m.name] = $m }

function Esc([string] $s) { [Security.SecurityElement]::Escape($s) }
function Clean([string] $s) { if (-not $s) { return '' } ($s -replace '\s+', ' ').Trim() }
function Text($node) { if ($null -eq $node) { '' } elseif ($node -is [string]) { Clean $node } else { Clean $node.InnerText } }
function Para([string] $s) { "<maml:para>$(Esc $s)</maml:para>" }

function Find-PropertyDoc([type] $type, [string] $name) {
    for ($t = $type; $null -ne $t; $t = $t.BaseType) {
        $m = $members["P:$($t.FullName).$name"]
        if ($m) { return Text $m.summary }
    }
    ''
}

# Common parameters are left to PowerShell, which shows [<CommonParameters>] itself; -WhatIf and -Confirm
# are written out like any parameter, as in PowerShell's own help.
$common = [Management.Automation.PSCmdlet]::CommonParameters
$risk = @{
    WhatIf = 'Shows what would happen if the cmdlet runs. The cmdlet is not run: nothing is sent to the server.'
    Confirm = 'Prompts you for confirmation before each change.'
}
# The parameters SupportsPaging adds: PowerShell's own, so their text is written here.
$paging = @{
    First = 'Gets only the first N records; the cmdlet stops asking the server once it has them.'
    Skip = 'Skips the first N records.'
    IncludeTotalCount = "Writes the server's total count of matching records first (an object with the count and its accuracy)."
}
$switch = [Management.Automation.SwitchParameter]

# Nullable<T> reads as T, as in PowerShell's own syntax lines (never "Nullable`1").
function Get-TypeName([type] $t, [switch] $Full) {
    $u = [Nullable]::GetUnderlyingType($t)
    if ($u) { $t = $u }
    if ($Full) { $t.FullName } else { $t.Name }
}
function Test-Switch($p) { $p.ParameterType -eq $switch }
function Get-Aliases($p) { if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' } }
function Test-Globbing($p) { [bool]($p.Attributes | Where-Object { $_ -is [Management.Automation.SupportsWildcardsAttribute] }) }
# The parameter's position in the first set that gives it one (PowerShell's help shows one position).
function Get-Position($cmd, [string] $name) {
    foreach ($set in $cmd.ParameterSets) {
        $sp = $set.Parameters | Where-Object Name -eq $name
        if ($sp -and $sp.Position -ge 0) { return $sp.Position }
    }
    'named'
}
# The code of an <example>: PowerShell's XML adapter gives an element holding only text as a string.
function Get-ExampleCode($ex) {
    $raw = if ($ex.code -is [string]) { $ex.code } elseif ($ex.code) { $ex.code.InnerText } else { '' }
    $lines = @(($raw -replace "`r", '') -split "`n")
    while ($lines.Count -and -not $lines[0].Trim()) { $lines = @($lines | Select-Object -Skip 1) }
    while ($lines.Count -and -not $lines[-1].Trim()) { $lines = @($lines | Select-Object -SkipLast 1) }
    # Remove the indentation the lines share, keep the rest (multi-line examples stay readable).
    $indent = ($lines | Where-Object { $_.Trim() } | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
    ($lines | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring([int]$indent).TrimEnd() } else { $_.Trim() } }) -join "`n"
}
function Write-Parameter($cmd, $p, [string] $text, $position, [bool] $required, [string] $pipeText) {
    $value = if (Test-Switch $p) { '' } else { "<command:parameterValue required=""true"" variableLength=""false"">$(Esc (Get-TypeName $p.ParameterType))</command:parameterValue>" }
    $desc = if ($text) { "<maml:description>$(Para $text)</maml:description>" } else { '' }
    $default = if (Test-Switch $p) { 'False' } else { 'None' }
    "<command:parameter required=""$($required.ToString().ToLower())"" variableLength=""true"" globbing=""$((Test-Globbing $p).ToString().ToLower())"" pipelineInput=""$pipeText"" position=""$position"" aliases=""$(Esc (Get-Aliases $p))""><maml:name>$($p.Name)</maml:name>$desc$value<dev:type><maml:name>$(Esc (Get-TypeName $p.ParameterType -Full))</maml:name></dev:type><dev:defaultValue>$default</dev:defaultValue></command:parameter>"
}
function Get-PipeText($attrs) {
    $pipe = @()
    if ($attrs | Where-Object ValueFromPipeline) { $pipe += 'ByValue' }
    if ($attrs | Where-Object ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
    if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }
}

$sb = [Text.StringBuilder]::new()
[void]$sb.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
[void]$sb.AppendLine('<helpItems schema="maml" xmlns="http://msh">')
foreach ($cmd in Get-Command -Module CommCare -CommandType Cmdlet | Sort-Object Name) {
    $type = $cmd.ImplementingType
    $m = $members["T:$($type.FullName)"]
    if (-not $m) { throw "$($cmd.Name) has no XML doc comment." }
    $synopsis = Text ($m.summary.para | Where-Object { $_.type -eq 'synopsis' })
    $description = Text ($m.summary.para | Where-Object { $_.type -eq 'description' })
    if (-not $synopsis) { throw "$($cmd.Name) has no <para type=""synopsis"">." }
    [void]$sb.AppendLine('<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    [void]$sb.AppendLine("<command:details><command:name>$($cmd.Name)</command:name><maml:description>$(Para $synopsis)</maml:description><command:verb>$($cmd.Verb)</command:verb><command:noun>$($cmd.Noun)</command:noun></command:details>")
    [void]$sb.AppendLine("<maml:description>$(Para $description)</maml:description>")
    [void]$sb.AppendLine('<command:syntax>')
    foreach ($set in $cmd.ParameterSets) {
        [void]$sb.AppendLine("<command:syntaxItem><maml:name>$($cmd.Name)</maml:name>")
        # Positional parameters first, in position order, as PowerShell's own syntax lines show them.
        $ordered = @($set.Parameters | Where-Object { $_.Name -notin $common -and $_.Position -ge 0 } | Sort-Object Position) +
                   @($set.Parameters | Where-Object { $_.Name -notin $common -and $_.Position -lt 0 -and $_.Name -notin $risk.Keys }) +
                   @($set.Parameters | Where-Object { $_.Name -in 'WhatIf', 'Confirm' } | Sort-Object { $_.Name -ne 'WhatIf' })
        foreach ($p in $ordered) {
            $pos = if ($p.Position -ge 0) { $p.Position } else { 'named' }
            [void]$sb.AppendLine((Write-Parameter $cmd $p '' $pos $p.IsMandatory (Get-PipeText $p)))
        }
        [void]$sb.AppendLine('</command:syntaxItem>')
    }
    [void]$sb.AppendLine('</command:syntax><command:parameters>')
    $params = @($cmd.Parameters.Values | Where-Object { $_.Name -notin $common -and $_.Name -notin $risk.Keys } | Sort-Object Name) +
              @($cmd.Parameters.Values | Where-Object { $_.Name -in $risk.Keys } | Sort-Object { $_.Name -ne 'WhatIf' })
    foreach ($p in $params) {
        $text = if ($paging.ContainsKey($p.Name)) { $paging[$p.Name] } elseif ($risk.ContainsKey($p.Name)) { $risk[$p.Name] } else { Find-PropertyDoc $type $p.Name }
        if (-not $text) { throw "$($cmd.Name) -$($p.Name) has no description." }
        $attrs = $p.Attributes | Where-Object { $_ -is [Management.Automation.ParameterAttribute] }
        $req = [bool]($attrs | Where-Object Mandatory)
        [void]$sb.AppendLine((Write-Parameter $cmd $p $text (Get-Position $cmd $p.Name) $req (Get-PipeText $attrs)))
    }
    [void]$sb.AppendLine('</command:parameters>')
    $outputs = @($cmd.OutputType | ForEach-Object { $_.Name })
    if ($outputs) { [void]$sb.AppendLine("<command:returnValues><command:returnValue><dev:type><maml:name>$(Esc ($outputs -join ', '))</maml:name></dev:type></command:returnValue></command:returnValues>") }
    [void]$sb.AppendLine('<command:examples>')
    $i = 0
    foreach ($ex in @($m.example)) {
        if ($null -eq $ex) { continue }
        $i++
        $code = Get-ExampleCode $ex
        # The build fails rather than ship an example that does not show its own cmdlet.
        if ($code -notmatch "(?<![\w-])$([regex]::Escape($cmd.Name))(?![\w-])") { throw "$($cmd.Name) example $i has no line using $($cmd.Name): '$code'" }
        [void]$sb.AppendLine("<command:example><maml:title>-------------------------- EXAMPLE $i --------------------------</maml:title><dev:code>$(Esc $code)</dev:code><dev:remarks>$(Para (Text $ex.para))</dev:remarks></command:example>")
    }
    if ($i -lt 2) { throw "$($cmd.Name) has $i <example>; every cmdlet needs at least two." }
    [void]$sb.AppendLine('</command:examples></command:command>')
}
[void]$sb.AppendLine('</helpItems>')
$dir = Join-Path (Split-Path $ModulePsd1) 'en-US'
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$path = Join-Path $dir 'CommCare.PowerShell.dll-Help.xml'
[IO.File]::WriteAllText($path, $sb.ToString(), [Text.UTF8Encoding]::new($false))
Write-Host "==> help: $path ($((Get-Command -Module CommCare).Count) cmdlets)"
