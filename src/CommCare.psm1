# Loads the build made for this PowerShell: net8.0 on PowerShell 7.4+ (it uses the runtime's own
# System.Text.Json and friends), netstandard2.0 on Windows PowerShell 5.1 and PowerShell 7.0-7.3.
$build = if ($PSVersionTable.PSEdition -eq 'Core' -and [Environment]::Version.Major -ge 8) { 'net8.0' } else { 'netstandard2.0' }
Import-Module (Join-Path $PSScriptRoot "$build/CommCare.PowerShell.dll")
# After the import: the types file names the adapter that lives in CommCare.PowerShell.dll.
Update-TypeData -AppendPath (Join-Path $PSScriptRoot 'CommCare.types.ps1xml')
