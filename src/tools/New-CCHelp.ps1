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

$common = [Management.Automation.PSCmdlet]::CommonParameters + [Management.Automation.PSCmdlet]::OptionalCommonParameters
# The parameters SupportsPaging adds: PowerShell's own, so their text is written here.
$paging = @{
    First = 'Gets only the first N records; the cmdlet stops asking the server once it has them.'
    Skip = 'Skips the first N records.'
    IncludeTotalCount = "Writes the server's total count of matching records first (an object with the count and its accuracy)."
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
        foreach ($p in $set.Parameters | Where-Object { $_.Name -notin $common }) {
            $pos = if ($p.Position -ge 0) { $p.Position } else { 'named' }
            [void]$sb.AppendLine("<command:parameter required=""$($p.IsMandatory.ToString().ToLower())"" position=""$pos""><maml:name>$($p.Name)</maml:name><command:parameterValue required=""true"">$(Esc $p.ParameterType.Name)</command:parameterValue></command:parameter>")
        }
        [void]$sb.AppendLine('</command:syntaxItem>')
    }
    [void]$sb.AppendLine('</command:syntax><command:parameters>')
    foreach ($p in $cmd.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object Name) {
        $text = if ($paging.ContainsKey($p.Name)) { $paging[$p.Name] } else { Find-PropertyDoc $type $p.Name }
        if (-not $text) { throw "$($cmd.Name) -$($p.Name) has no description." }
        $attrs = $p.Attributes | Where-Object { $_ -is [Management.Automation.ParameterAttribute] }
        $pipe = @()
        if ($attrs | Where-Object ValueFromPipeline) { $pipe += 'ByValue' }
        if ($attrs | Where-Object ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
        $pipeText = if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }
        $req = [bool]($attrs | Where-Object Mandatory)
        $aliases = if ($p.Aliases.Count) { " Aliases: $($p.Aliases -join ', ')." } else { '' }
        [void]$sb.AppendLine("<command:parameter required=""$($req.ToString().ToLower())"" pipelineInput=""$pipeText"" position=""named""><maml:name>$($p.Name)</maml:name><maml:description>$(Para ($text + $aliases))</maml:description><command:parameterValue required=""true"">$(Esc $p.ParameterType.Name)</command:parameterValue><dev:type><maml:name>$(Esc $p.ParameterType.FullName)</maml:name></dev:type></command:parameter>")
    }
    [void]$sb.AppendLine('</command:parameters>')
    $outputs = @($cmd.OutputType | ForEach-Object { $_.Name })
    if ($outputs) { [void]$sb.AppendLine("<command:returnValues><command:returnValue><dev:type><maml:name>$(Esc ($outputs -join ', '))</maml:name></dev:type></command:returnValue></command:returnValues>") }
    [void]$sb.AppendLine('<command:examples>')
    $i = 0
    foreach ($ex in @($m.example)) {
        if ($null -eq $ex) { continue }
        $i++
        $code = (($ex.code.InnerText -split "`n") | ForEach-Object { $_.Trim() }) -join "`n"
        [void]$sb.AppendLine("<command:example><maml:title>-------------------------- EXAMPLE $i --------------------------</maml:title><dev:code>$(Esc $code.Trim())</dev:code><dev:remarks>$(Para (Text $ex.para))</dev:remarks></command:example>")
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
