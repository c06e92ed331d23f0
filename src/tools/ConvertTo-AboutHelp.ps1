<#
.SYNOPSIS
    Turns docs/about_CommCare.md into en-US/about_CommCare.help.txt in the layout of PowerShell's own about
    topics (TOPIC, SHORT DESCRIPTION, LONG DESCRIPTION, upper-case section titles, text indented 4 and
    wrapped at 80 columns, code indented 8), so Get-Help about_CommCare shows text, not Markdown.
#>
param([Parameter(Mandatory)] [string] $Markdown, [Parameter(Mandatory)] [string] $OutFile)
$ErrorActionPreference = 'Stop'
$width = 80

# Inline Markdown to text: `code` and **bold** lose their marks, [text](link) keeps the link in brackets
# (a page of docs/ named by its path there, as the topic is read outside the repository).
function ConvertTo-Plain([string] $s) {
    $s = [regex]::Replace($s, '\[([^\]]+)\]\(([^)]+)\)', {
        param($m)
        $text = $m.Groups[1].Value; $link = $m.Groups[2].Value
        if ($link -notmatch '^\w+:') { $link = "docs/$link" }
        if ($text -eq $m.Groups[2].Value) { $link } else { "$text ($link)" }
    })
    $s = $s -replace '\*\*([^*]+)\*\*', '$1'
    $s -replace '`([^`]+)`', '$1'
}
function Format-Wrapped([string] $text, [int] $indent, [int] $hanging = $indent) {
    $words = @($text -split '\s+' | Where-Object { $_ })
    $line = ''; $pad = ' ' * $indent
    foreach ($w in $words) {
        if ($line -and ($pad.Length + $line.Length + 1 + $w.Length) -gt $width) {
            $pad + $line; $line = $w; $pad = ' ' * $hanging
        } else { $line = if ($line) { "$line $w" } else { $w } }
    }
    if ($line) { $pad + $line }
}

$md = @((Get-Content $Markdown -Raw) -replace "`r", '' -split "`n")
$out = [Collections.Generic.List[string]]::new()
$topic = ($md | Where-Object { $_ -match '^# ' } | Select-Object -First 1) -replace '^#\s+', ''
$out.Add('TOPIC'); $out.Add("    $topic"); $out.Add('')
$para = [Collections.Generic.List[string]]::new()
$bullet = $false
function Flush {
    if ($para.Count) {
        $text = ConvertTo-Plain ($para -join ' ')
        if ($script:bullet) { Format-Wrapped ($text -replace '^[-*]\s+', '- ') 4 6 } else { Format-Wrapped $text 4 }
        $para.Clear()
    }
}
$inCode = $false
foreach ($l in $md) {
    if ($l -match '^```') {
        if (-not $inCode) { Flush | ForEach-Object { $out.Add($_) }; $out.Add('') }
        else { $out.Add('') }
        $inCode = -not $inCode; continue
    }
    if ($inCode) { $out.Add(('        ' + $l).TrimEnd()); continue }
    if ($l -match '^# ') { continue }
    if ($l -match '^#{2,}\s+(.*)$') {
        Flush | ForEach-Object { $out.Add($_) }
        if ($out[-1] -ne '') { $out.Add('') }
        $out.Add((ConvertTo-Plain $Matches[1]).ToUpperInvariant()); continue
    }
    if (-not $l.Trim()) { Flush | ForEach-Object { $out.Add($_) }; if ($out[-1] -ne '') { $out.Add('') }; continue }
    if ($l -match '^\s*[-*]\s+') {
        Flush | ForEach-Object { $out.Add($_) }
        $script:bullet = $true; $para.Add($l.Trim()); continue
    }
    if ($para.Count -eq 0) { $script:bullet = $false }
    $para.Add($l.Trim())
}
Flush | ForEach-Object { $out.Add($_) }
$text = ($out -join "`n").TrimEnd() + "`n"
[IO.File]::WriteAllText($OutFile, $text, [Text.UTF8Encoding]::new($false))
