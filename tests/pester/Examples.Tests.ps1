# Every example of every exported cmdlet (Get-Help <name> -Examples), run as printed against one emulator.
# Data-driven over the manifest, so a new cmdlet's examples are run without touching this file; what an
# example is given (files, ids, the emulator's URL for CommCare HQ) is in ExampleFixtures.ps1.
# The emulator is reset before each example, so examples that change data run for real and do not see
# each other's changes; prompts are answered "Yes to All" ($ConfirmPreference = 'None').
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $env:COMMCARE_MODULE_PSD1 -Force
    $script:Examples = foreach ($name in (Get-ManifestData).CmdletsToExport) {
        $i = 0
        foreach ($ex in @((Get-Help $name -Examples).Examples.Example)) {
            $i++
            $code = ($ex.Code | Out-String).Trim()
            @{ Name = $name; Number = $i; Code = $code; Title = (($code -split "`n")[0] -replace '\s+', ' ') }
        }
    }
    . (Join-Path $PSScriptRoot 'ExampleFixtures.ps1')
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'ExampleFixtures.ps1')
    if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
    foreach ($v in 'COMMCARE_SERVER', 'COMMCARE_DOMAIN', 'COMMCARE_USERNAME', 'COMMCARE_API_KEY') { Remove-Item "env:$v" -ErrorAction SilentlyContinue }
    $script:emu = Start-TestEnvironment @('--cases', '50', '--forms', '50')
    $script:EmulatorUrl = $emu.Url
    $script:Vars = & $NewExampleVariables $emu.Url
    $script:ExampleFiles = $script:Files = Join-Path ([IO.Path]::GetTempPath()) ("cc-examples-" + [guid]::NewGuid())
    New-Item -ItemType Directory $Files | Out-Null
    & $NewExampleFiles $Files $Vars
    $script:Home0 = Get-Location
    # A PostgreSQL server for the examples that name one, started on first use.
    $script:ExamplePg = $null
    function Get-ExamplePostgres { if (-not $script:ExamplePg) { $script:ExamplePg = Start-TestPostgres }; $script:ExamplePg }

    # One example in a fresh folder and a fresh child scope; returns its output as text, or throws its error.
    function Invoke-Example([string] $Name, [int] $Number, [string] $Code) {
        # Locals are named __* so that an example sees only the names ExampleFixtures.ps1 gives it.
        foreach ($__s in $ExampleSubstitutions) { $Code = $Code.Replace($__s.Find, $__s.Replace) }
        $__dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-example-" + [guid]::NewGuid())
        New-Item -ItemType Directory $__dir | Out-Null
        # The input files the code names; a file a writing cmdlet's -Path names is left out, as its target must not exist.
        $__writes = $Name -match '^(Export|Save)-'
        foreach ($__f in Get-ChildItem $Files) {
            if ($Code -match "(?<![\w.-])$([regex]::Escape($__f.Name))(?![\w.-])" -and -not ($__writes -and -not $__f.PSIsContainer -and $Code -match "-Path\s+\S*$([regex]::Escape($__f.Name))")) {
                Copy-Item $__f.FullName $__dir -Recurse
            }
        }
        Push-Location $__dir; [Environment]::CurrentDirectory = $__dir
        try {
            & {
                param($__code, $__name, $__number, $__vars)
                foreach ($__k in $__vars.Keys) { Set-Variable -Name $__k -Value $__vars[$__k] }
                $ErrorActionPreference = 'Stop'
                $ConfirmPreference = 'None'
                # Commands that would prompt or need Azure stand for the emulator's admin credential.
                function Get-Credential { $__vars.cred }
                function Get-AutomationPSCredential { param([string] $Name) $__vars.cred }
                # Connect-CCServer without -Server means CommCare HQ: here, the emulator.
                $PSDefaultParameterValues = @{ 'Connect-CCServer:Server' = $EmulatorUrl }
                foreach ($__key in $__name, "$__name $__number") { if ($ExampleSetup.ContainsKey($__key)) { . $ExampleSetup[$__key] } }
                $__sb = [scriptblock]::Create($__code)
                # A runbook-style example (param block) gets its parameters from the same names.
                $__params = @{}
                if ($__sb.Ast.ParamBlock) { foreach ($p in $__sb.Ast.ParamBlock.Parameters) { $n = $p.Name.VariablePath.UserPath; $__params[$n] = Get-Variable $n -ValueOnly } }
                & $__sb @__params | Out-String -Width 120
            } $Code $Name $Number $Vars
        }
        finally {
            Pop-Location; [Environment]::CurrentDirectory = $Home0.Path
            Remove-Item $__dir -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
}

AfterAll {
    Stop-TestEmulator $emu
    if ($ExamplePg) { Stop-TestPostgres $ExamplePg }
    Remove-Item env:DW_CONNECTION -ErrorAction SilentlyContinue
    if ($Files) { Remove-Item $Files -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'Get-Help <Name> -Examples, run against the emulator' -ForEach @($Examples | Group-Object { $_.Name } | ForEach-Object { @{ Name = $_.Name; Items = @($_.Group) } }) {
    It 'example <Number> runs: <Title>' -ForEach $Items {
        Invoke-Emu $EmulatorUrl 'reset' | Out-Null
        Invoke-Emu $EmulatorUrl 'directory/reset' | Out-Null
        Connect-TestServer $EmulatorUrl -SkipValidation | Out-Null
        $expected = $ExampleExpectedErrors["$Name $Number"]
        if ($expected) {
            { Invoke-Example $Name $Number $Code } | Should -Throw -ErrorId "$expected*" -Because 'its remark says it ends in this error'
        }
        else {
            $out = Invoke-Example $Name $Number $Code
            Write-Verbose $out
        }
    }
}
