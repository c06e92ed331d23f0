<#
.SYNOPSIS
    One entry point: build, stage, test, demo and benchmark the CommCare module.
.DESCRIPTION
    -Task Build   restore + build, stage the module in out/CommCare/<version>/
    -Task Test    Build, then xunit (client library) and Pester (the staged module in a real pwsh
                  against the emulator); the last line is "N passed, N failed"; exit 1 on any failure
                  or when no test ran.
    -Task Demo    Build, start the emulator, connect, list cases and forms, provision two workers; then
                  print how to connect to the same emulator yourself and keep it running until Ctrl+C.
    -Task Emulator Build, start the emulator in the foreground and print its address, the demo credentials
                  and a Connect-CCServer line to paste into another PowerShell; Ctrl+C stops it.
    -Task Bench   Build, run the benchmarks (never part of Test); -BenchSection startup runs only the start-up one
                  (import + connect + first call over bare pwsh, printed as a ratio to one Invoke-RestMethod call).
    -Task Docs    Build, then regenerate docs/cmdlets/ (one page per cmdlet) from the module's help.
    -Task Package Build, then out/package/: a PowerShell Gallery .nupkg (Compress-PSResource) and the Azure
                  Automation zip (CommCare.zip holding the module folder CommCare/ with its manifest).
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Emulator', 'Bench', 'Package', 'Docs')]
    [string] $Task = 'Build',
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    # Pester only: run test files whose name matches (e.g. 'Paging').
    [string] $PesterFilter = '*',
    # Bench only: which benchmarks (throughput, flat, memory, startup, provisioning); all by default.
    [string[]] $BenchSection,
    # Emulator and Demo: the emulator's port on 127.0.0.1 (0: any free port).
    [ValidateRange(0, 65535)] [int] $Port = 8700,
    # Emulator and Demo: use the module and emulator of an earlier build instead of building again.
    [switch] $NoBuild
)

$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true
# The demo's own output keeps colour only where the caller would have it: not with NO_COLOR, not when
# redirected, not when the caller chose PlainText. The build's output is always plain.
$PlainDemo = [bool]$env:NO_COLOR -or [Console]::IsOutputRedirected -or ($PSStyle -and $PSStyle.OutputRendering -eq 'PlainText')
if ($PSStyle) { $CallerRendering = $PSStyle.OutputRendering; $PSStyle.OutputRendering = 'PlainText' }
$env:DOTNET_NOLOGO = '1'; $env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:POWERSHELL_TELEMETRY_OPTOUT = '1'
$Root = $PSScriptRoot
# The manifest picks a build with `if ($PSEdition ...)`, which Import-PowerShellDataFile refuses: read it as restricted-language data.
$Manifest = [scriptblock]::Create((Get-Content -Raw (Join-Path $Root 'CommCare.psd1')))
$Manifest.CheckRestrictedLanguage([string[]]@(), [string[]]@('PSEdition', 'PSScriptRoot'), $false)
$Version = (& $Manifest).ModuleVersion
$Out = Join-Path $Root 'out'
$Stage = Join-Path $Out "CommCare/$Version"

function Write-Step([string] $Text) { Write-Host "==> $Text" }

# A child pwsh of the same version: as a dotnet tool, pwsh is pwsh.dll run by dotnet (the process path is dotnet).
function Invoke-Pwsh {
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { & dotnet $dll @args } else { & (Join-Path $PSHOME 'pwsh') @args }
}

# One folder per build: netstandard2.0 for Windows PowerShell 5.1, net8.0 for PowerShell 7.4+ (the manifest picks).
$Builds = 'netstandard2.0', 'net8.0'

# <tfm>/ holds the cmdlets and the public models (default load context); <tfm>/dependencies/ the client and
# everything it needs, loaded in isolation by ModuleInitializer; <tfm>/dependencies/database/ what only the
# database export needs (loaded only when one runs), with the native SQLite library for every supported platform.
function Copy-Build([string] $Tfm) {
    $bin = Join-Path $Root "src/CommCare.PowerShell/bin/$Configuration/$Tfm"
    $dir = Join-Path $Stage $Tfm
    $deps = New-Item -ItemType Directory -Force -Path (Join-Path $dir 'dependencies')
    $dbDir = New-Item -ItemType Directory -Force -Path (Join-Path $deps 'database')
    $clientDlls = (Get-ChildItem (Join-Path $Root "src/CommCare.Client/bin/$Configuration/$Tfm") -Filter *.dll).Name
    foreach ($f in 'CommCare.PowerShell.dll', 'CommCare.Models.dll') { Copy-Item (Join-Path $bin $f) $dir }
    Get-ChildItem $bin -Filter *.dll | Where-Object {
        $_.Name -notin 'CommCare.PowerShell.dll', 'CommCare.Models.dll', 'System.Management.Automation.dll'
    } | ForEach-Object { Copy-Item $_.FullName -Destination $(if ($_.Name -in $clientDlls) { $deps } else { $dbDir }) }
    Copy-SqliteNative -Destination $dbDir
    if (Test-Path (Join-Path $deps 'System.Management.Automation.dll')) { throw 'The reference System.Management.Automation.dll must not ship.' }
}

# ReadyToRun, per platform: the client and its start-up dependencies precompiled for .NET 10 (PowerShell 7.6) in
# net8.0/dependencies/<rid>/; the rest, and every other platform or runtime, use the IL in dependencies/ (bench/README.md).
$ReadyToRunRids = 'win-x64', 'linux-x64', 'osx-arm64'
$ReadyToRunNames = 'CommCare.Client', 'Polly.*', 'Microsoft.Extensions.*'

function Add-ReadyToRun {
    $il = Join-Path $Root "src/CommCare.PowerShell/bin/$Configuration/net8.0"
    $in = Join-Path $Out 'r2r/in'
    if (Test-Path $in) { Remove-Item $in -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $in | Out-Null
    $names = Get-ChildItem $il -Filter *.dll | Where-Object { $n = $_.BaseName; $ReadyToRunNames.Where({ $n -like $_ }).Count }
    $names | Copy-Item -Destination $in
    $project = Join-Path $Root 'src/tools/ReadyToRun/ReadyToRun.csproj'
    foreach ($rid in $ReadyToRunRids) {
        Write-Step "ReadyToRun $rid"
        $pub = Join-Path $Out "r2r/$rid"
        dotnet publish $project -c Release -r $rid "-p:IlDir=$in" "-p:ReferenceDir=$il" -o $pub -v q --nologo | Out-Host
        $to = New-Item -ItemType Directory -Force -Path (Join-Path $Stage "net8.0/dependencies/$rid")
        foreach ($f in $names) { Copy-Item (Join-Path $pub $f.Name) $to }
    }
}

function Invoke-Build {
    Write-Step "restore"
    dotnet restore (Join-Path $Root 'CommCare.slnx') -v q --nologo | Out-Host
    Write-Step "build ($Configuration, module version $Version)"
    dotnet build (Join-Path $Root 'CommCare.slnx') -c $Configuration --no-restore -v q --nologo "-p:ModuleVersion=$Version" | Out-Host
    Write-Step "stage $Stage"
    if (Test-Path $Stage) { Remove-Item $Stage -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $Stage | Out-Null
    # Module root: the manifest (it picks a build), format/types files and about_ help.
    foreach ($f in 'CommCare.psd1', 'src/CommCare.format.ps1xml', 'src/CommCare.types.ps1xml') { Copy-Item (Join-Path $Root $f) $Stage }
    # about_CommCare: Get-Help about_CommCare reads en-US/about_CommCare.help.txt, plain text made from the Markdown.
    New-Item -ItemType Directory -Force -Path (Join-Path $Stage 'en-US') | Out-Null
    & (Join-Path $Root 'src/tools/ConvertTo-AboutHelp.ps1') -Markdown (Join-Path $Root 'docs/about_CommCare.md') -OutFile (Join-Path $Stage 'en-US/about_CommCare.help.txt')
    foreach ($tfm in $Builds) { Copy-Build $tfm }
    Add-ReadyToRun
    $help = Join-Path $Root 'src/tools/New-CCHelp.ps1'
    $xmlDoc = Join-Path $Root "src/CommCare.PowerShell/bin/$Configuration/netstandard2.0/CommCare.PowerShell.xml"
    Invoke-Pwsh -NoProfile -NonInteractive -File $help -ModulePsd1 (Join-Path $Stage 'CommCare.psd1') -XmlDoc $xmlDoc
    Write-Step "staged $((Get-ChildItem $Stage -Recurse -File).Count) files"
}

# The platforms whose native e_sqlite3 ships in <tfm>/dependencies/database/runtimes/ (NativeLibraries.cs picks one).
$SqliteRids = 'win-x64', 'win-x86', 'win-arm64', 'linux-x64', 'linux-arm64', 'linux-musl-x64', 'linux-musl-arm64', 'osx-x64', 'osx-arm64'

function Copy-SqliteNative([string] $Destination) {
    # The native library's package and version as restore resolved them for CommCare.Database.
    $assets = Get-Content (Join-Path $Root 'src/CommCare.Database/obj/project.assets.json') -Raw | ConvertFrom-Json
    $lib = $assets.libraries.PSObject.Properties | Where-Object Name -like 'SQLitePCLRaw.lib.e_sqlite3/*' | Select-Object -First 1
    if (-not $lib) { throw 'SQLitePCLRaw.lib.e_sqlite3 is not among the restored packages of CommCare.Database.' }
    $folder = @($assets.packageFolders.PSObject.Properties.Name) |
        ForEach-Object { Join-Path $_ $lib.Value.path } | Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $folder) { throw "The package folder of $($lib.Name) was not found." }
    foreach ($rid in $SqliteRids) {
        $src = Join-Path $folder "runtimes/$rid/native"
        if (-not (Test-Path $src)) { throw "$($lib.Name) has no native library for $rid." }
        $dst = Join-Path $Destination "runtimes/$rid/native"
        New-Item -ItemType Directory -Force -Path $dst | Out-Null
        Copy-Item (Join-Path $src '*') $dst
    }
}

# A file of a package restored by tests/CommCare.Client.Tests (PackageDownload), from the NuGet global packages folder.
function Get-PackageFile([string] $Package, [string] $RelativePath) {
    $packages = $env:NUGET_PACKAGES
    if (-not $packages) {
        $line = (dotnet nuget locals global-packages --list) | Select-Object -First 1
        $packages = ($line -replace '^global-packages:\s*', '').Trim()
    }
    $path = Join-Path $packages "$Package/$RelativePath"
    if (-not (Test-Path $path)) { throw "$path not found (it is restored by tests/CommCare.Client.Tests)." }
    $path
}

function Invoke-Test {
    Invoke-Build
    $passed = 0; $failed = 0
    New-Item -ItemType Directory -Force -Path $Out | Out-Null

    # xunit: the client library, and the database layer (against a real SQLite file and a PostgreSQL 15
    # server it starts itself).
    foreach ($project in 'CommCare.Client.Tests', 'CommCare.Database.Tests') {
        Write-Step "xunit ($project)"
        $trx = Join-Path $Out "$project.trx"
        Remove-Item $trx -ErrorAction SilentlyContinue
        $PSNativeCommandUseErrorActionPreference = $false   # a red xunit must still let Pester run and the summary print
        dotnet test (Join-Path $Root "tests/$project/$project.csproj") -c $Configuration --no-build --nologo `
            --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal' | Out-Host
        $PSNativeCommandUseErrorActionPreference = $true
        if (Test-Path $trx) {
            $c = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
            $passed += [int]$c.passed; $failed += [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
            Write-Host "xunit ($project): $($c.passed) passed, $($c.failed) failed, $($c.total) total"
        } else {
            Write-Host "xunit ($project): no result file (the run failed to start)"; $failed++
        }
    }

    Write-Step "Pester (staged module in a real pwsh, against the emulator)"
    $pester = Get-PackageFile 'pester/5.7.1' 'tools/Pester.psd1'
    $env:COMMCARE_NET472_REF = Get-PackageFile 'microsoft.netframework.referenceassemblies.net472/1.0.3' 'build/.NETFramework/v4.7.2'
    $env:COMMCARE_MODULE_PSD1 = Join-Path $Stage 'CommCare.psd1'
    $env:COMMCARE_EMULATOR_DLL = Join-Path $Root "tests/CommCare.Emulator/bin/$Configuration/net10.0/CommCare.Emulator.dll"
    $env:COMMCARE_PESTER_PATH = $pester
    # Pester runs in a child pwsh so the module loads into a clean process, as a user's would.
    $resultFile = Join-Path $Out 'pester-summary.json'
    Remove-Item $resultFile -ErrorAction SilentlyContinue
    $runner = @"
`$ErrorActionPreference = 'Stop'
if (`$PSStyle) { `$PSStyle.OutputRendering = 'PlainText' }
Import-Module '$pester'
`$cfg = New-PesterConfiguration
`$cfg.Run.Path = '$(Join-Path $Root 'tests/pester')'
`$cfg.Run.PassThru = `$true
`$cfg.Filter.FullName = @()
`$cfg.Output.Verbosity = 'Detailed'
`$cfg.Output.RenderMode = 'Plaintext'
`$cfg.TestResult.Enabled = `$true
`$cfg.TestResult.OutputPath = '$(Join-Path $Out 'pester.xml')'
`$files = Get-ChildItem '$(Join-Path $Root 'tests/pester')' -Filter '*.Tests.ps1' | Where-Object Name -like '$PesterFilter*'
`$cfg.Run.Path = @(`$files.FullName)
`$r = Invoke-Pester -Configuration `$cfg
@{ passed = `$r.PassedCount; failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount; skipped = `$r.SkippedCount; total = `$r.TotalCount } |
    ConvertTo-Json | Set-Content '$resultFile'
"@
    $PSNativeCommandUseErrorActionPreference = $false
    Invoke-Pwsh -NoProfile -NonInteractive -Command $runner | Out-Host
    $PSNativeCommandUseErrorActionPreference = $true
    if (Test-Path $resultFile) {
        $p = Get-Content $resultFile -Raw | ConvertFrom-Json
        $passed += [int]$p.passed; $failed += [int]$p.failed
        Write-Host "Pester: $($p.passed) passed, $($p.failed) failed, $($p.skipped) skipped"
        # A skipped test is not a pass: count it as a failure so nothing half-done looks green.
        $failed += [int]$p.skipped
    } else {
        Write-Host 'Pester: no result (the run failed to start)'; $failed++
    }
    if ($passed + $failed -eq 0) { $failed = 1; Write-Host 'No test ran.' }
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

$DemoUser = 'admin@example.com'
$DemoKey = 'emu-admin-key-0001'

function Start-Emulator([string[]] $Arguments = @()) {
    $dll = Join-Path $Root "tests/CommCare.Emulator/bin/$Configuration/net10.0/CommCare.Emulator.dll"
    if (-not (Test-Path $dll)) { throw "No emulator at ${dll}: run build.ps1 -Task Build first (or leave out -NoBuild)." }
    $portFile = Join-Path ([IO.Path]::GetTempPath()) ("cc-emu-" + [guid]::NewGuid() + '.url')
    $log = [IO.Path]::GetTempFileName()
    $p = Start-Process dotnet -ArgumentList (@($dll, '--port-file', $portFile, '--port', $Port) + $Arguments) -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
    $sw = [Diagnostics.Stopwatch]::StartNew()
    while (-not (Test-Path $portFile)) {
        if ($p.HasExited) {
            $why = ((Get-Content $log, "$log.err" -Raw -ErrorAction SilentlyContinue) -join "`n").Trim()
            throw "The emulator exited with code $($p.ExitCode) (is port $Port taken? -Port 0 picks a free one): $why"
        }
        if ($sw.Elapsed.TotalSeconds -gt 30) { $p.Kill(); throw 'The emulator did not start within 30 s.' }
        Start-Sleep -Milliseconds 20
    }
    [pscustomobject]@{ Process = $p; Url = (Get-Content $portFile -Raw).Trim() }
}

# What a user needs to reach the emulator from their own PowerShell; the Emulator task and the end of the demo print it.
function Get-ConnectLine([string] $Url) { "Connect-CCServer -Server $Url -Domain demo -UserName $DemoUser -ApiKey $DemoKey" }
function Write-EmulatorBanner([string] $Url) {
    Write-Host ''
    Write-Host "The CommCare emulator is running at $Url"
    Write-Host "  project space: demo    user name: $DemoUser    API key: $DemoKey"
    Write-Host 'In another PowerShell (pwsh), paste:'
    Write-Host "  Import-Module $(Join-Path $Stage 'CommCare.psd1')"
    Write-Host "  $(Get-ConnectLine $Url)"
    Write-Host 'Press Ctrl+C to stop the emulator.'
}
# Foreground until Ctrl+C (which runs the finally block) or until the emulator itself exits.
function Wait-Emulator($Emulator) {
    try {
        while (-not $Emulator.Process.HasExited) { Start-Sleep -Milliseconds 200 }
        throw "The emulator stopped by itself (exit code $($Emulator.Process.ExitCode))."
    }
    finally {
        if (-not $Emulator.Process.HasExited) { $Emulator.Process.Kill(); $Emulator.Process.WaitForExit(5000) | Out-Null }
    }
}

function Invoke-Emulator {
    if (-not $NoBuild) { Invoke-Build }
    $emu = Start-Emulator
    try { Write-EmulatorBanner $emu.Url }
    finally { Wait-Emulator $emu }
}

function Invoke-Demo {
    if (-not $NoBuild) { Invoke-Build }
    $emu = Start-Emulator
    try {
        $url = $emu.Url
        # Every step's output goes to Out-Host before the next step's title, so nothing prints out of order;
        # the summaries New-CCMobileWorker writes are collected and shown after its rows.
        $script = @"
`$ErrorActionPreference = 'Stop'
if (`$PSStyle -and '$PlainDemo' -eq 'True') { `$PSStyle.OutputRendering = 'PlainText' }
Import-Module '$(Join-Path $Stage 'CommCare.psd1')'
function Step([string] `$Command) { Write-Host ''; Write-Host "PS> `$Command" }
Step '$(Get-ConnectLine $url)'
$(Get-ConnectLine $url) -PassThru | Format-List Server, Domain, UserName, Policy | Out-Host
Step 'Get-CCCase -CaseType patient -Closed:`$false | Select-Object -First 5'
Get-CCCase -CaseType patient -Closed:`$false | Select-Object -First 5 | Out-Host
Step '(Get-CCCase | Measure-Object).Count'
(Get-CCCase | Measure-Object).Count | Out-Host
Step 'Get-CCForm | Group-Object Name -NoElement | Sort-Object Count -Descending'
Get-CCForm | Group-Object Name -NoElement | Sort-Object Count -Descending | Format-Table Count, Name | Out-Host
Step '`$rows | New-CCMobileWorker -GeneratePassword   # three rows, one of them bad'
`$rows = @(
    [pscustomobject]@{ username = 'demo.amina'; first_name = 'Amina'; last_name = 'Otieno'; phone_numbers = '+254700000001'; groups = 'North Team' }
    [pscustomobject]@{ username = 'demo.brian'; first_name = 'Brian'; last_name = 'Mwangi'; phone_numbers = '+254700000002;+254700000003' }
    [pscustomobject]@{ username = 'bad name!'; first_name = 'Bad' })
`$rows | Format-Table | Out-Host
`$created = @(`$rows | New-CCMobileWorker -GeneratePassword -ErrorVariable failed -ErrorAction SilentlyContinue -InformationVariable summary 6>`$null)
Write-Host 'Created (each generated password is shown here once; CommCare never shows it again):'
`$created | Format-Table UserName, GeneratedPassword, FirstName, LastName, @{ n = 'PhoneNumbers'; e = { `$_.PhoneNumbers -join ';' } }, @{ n = 'Groups'; e = { `$_.Groups -join ';' } } | Out-String -Width 160 | Out-Host
`$failed | ForEach-Object { Write-Host ('Refused: ' + `$_.Exception.Message) }
`$summary | ForEach-Object { Write-Host "`$_" }
"@
        Invoke-Pwsh -NoProfile -NonInteractive -Command $script
        if ($LASTEXITCODE -ne 0) { throw "The demo failed ($LASTEXITCODE)." }
        Write-Host ''
        Write-Host 'The demo is done; the emulator keeps running with what the demo changed.'
        Write-EmulatorBanner $url
    }
    finally { Wait-Emulator $emu }
}

function Invoke-Bench {
    Invoke-Build
    $bench = Join-Path $Root 'bench/Invoke-Bench.ps1'
    if (-not (Test-Path $bench)) { throw 'No benchmarks yet: bench/Invoke-Bench.ps1 is missing.' }
    $sections = if ($BenchSection) { @{ Section = $BenchSection } } else { @{} }
    & $bench -ModulePsd1 (Join-Path $Stage 'CommCare.psd1') -Root $Root -Configuration $Configuration @sections
}

function Invoke-Package {
    Invoke-Build
    $pkg = Join-Path $Out 'package'
    if (Test-Path $pkg) { Remove-Item $pkg -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $pkg | Out-Null
    # The Gallery package: PSResourceGet builds the .nupkg (nuspec from the manifest) without publishing anywhere.
    Write-Step "nupkg"
    $work = Join-Path $Out 'package-work/CommCare'
    if (Test-Path (Split-Path $work)) { Remove-Item (Split-Path $work) -Recurse -Force }
    New-Item -ItemType Directory -Force -Path $work | Out-Null
    Copy-Item (Join-Path $Stage '*') $work -Recurse
    Compress-PSResource -Path $work -DestinationPath $pkg
    # Azure Automation: the zip is named like the module and holds the module folder, manifest inside.
    Write-Step "Azure Automation zip"
    Compress-Archive -Path $work -DestinationPath (Join-Path $pkg 'CommCare.zip') -Force
    Remove-Item (Split-Path $work) -Recurse -Force
    Get-ChildItem $pkg | ForEach-Object { Write-Host ("    {0} ({1:N0} KB)" -f $_.Name, ($_.Length / 1KB)) }
}

try {
switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Emulator' { Invoke-Emulator }
    'Bench' { Invoke-Bench }
    'Package' { Invoke-Package }
    'Docs' {
        Invoke-Build
        Write-Step 'docs/cmdlets'
        Invoke-Pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'src/tools/New-CCDocs.ps1') -ModulePsd1 (Join-Path $Stage 'CommCare.psd1') -OutDir (Join-Path $Root 'docs/cmdlets')
    }
}
}
finally { if ($PSStyle) { $PSStyle.OutputRendering = $CallerRendering } }
