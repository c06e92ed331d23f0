BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEmulator
    $script:url = $emu.Url
}
AfterAll { Stop-TestEmulator $emu }

Describe 'The staged module' {
    It 'has a valid manifest whose exported cmdlets are exactly what loads' {
        $m = Test-ModuleManifest $ModulePsd1
        $m.Version | Should -Not -BeNullOrEmpty
        $declared = (Get-ManifestData).CmdletsToExport | Sort-Object
        $r = Invoke-FreshPwsh "Import-Module '$ModulePsd1'; (Get-Module CommCare).ExportedCmdlets.Keys | Sort-Object"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Be $declared
    }

    It 'ships a build per runtime, no PowerShell reference assembly, and third-party code only in dependencies/' {
        $dir = Split-Path $ModulePsd1
        Get-ChildItem $dir -Recurse -Filter System.Management.Automation.dll | Should -BeNullOrEmpty
        Get-ChildItem $dir -Filter *.dll | Should -BeNullOrEmpty
        foreach ($build in 'net8.0', 'netstandard2.0') {
            (Get-ChildItem (Join-Path $dir $build) -Filter *.dll).Name | Sort-Object | Should -Be @('CommCare.Models.dll', 'CommCare.PowerShell.dll')
            (Get-ChildItem (Join-Path $dir "$build/dependencies") -Filter *.dll).Name | Should -Contain 'Polly.Core.dll'
        }
        # Windows PowerShell needs these polyfills; .NET 8 has them, so PowerShell 7.4+ uses the runtime's own.
        $net8 = (@(Get-ChildItem (Join-Path $dir 'net8.0/dependencies') -Filter *.dll) + @(Get-ChildItem (Join-Path $dir 'net8.0/dependencies/database') -Filter *.dll)).Name
        $ns20 = (Get-ChildItem (Join-Path $dir 'netstandard2.0/dependencies') -Filter *.dll).Name
        foreach ($polyfill in 'System.Text.Json.dll', 'Microsoft.Bcl.AsyncInterfaces.dll', 'Microsoft.Bcl.TimeProvider.dll', 'System.Memory.dll', 'System.Diagnostics.DiagnosticSource.dll') {
            $ns20 | Should -Contain $polyfill
            $net8 | Should -Not -Contain $polyfill
        }
        # Nothing in net8.0/ that the runtime already has (pwsh's runtime directory is .NET 8 or later).
        $runtime = (Get-ChildItem ([Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()) -Filter *.dll).Name
        $net8 | Where-Object { $_ -in $runtime } | Should -BeNullOrEmpty
    }

    It 'loads the net8.0 build on PowerShell 7.4+ with the client precompiled for this platform, and the runtime''s System.Text.Json' {
        $rid = "linux-$("$([Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture)".ToLowerInvariant())"
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001'
`$n = @(Get-CCCase -First 1).Count
foreach (`$name in 'CommCare.PowerShell', 'CommCare.Client', 'Polly.Core') {
    `$a = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq `$name } | Select-Object -First 1
    `$pe = [Reflection.PortableExecutable.PEReader]::new([IO.File]::OpenRead(`$a.Location))
    "`$name `$([IO.Path]::GetRelativePath('$(Split-Path $ModulePsd1)', `$a.Location)) r2r=`$(`$pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0)"
    `$pe.Dispose()
}
`$stj = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'System.Text.Json' }
"stj=`$(@(`$stj).Count) `$([bool](`$stj.Location.StartsWith([Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory())))"
"count=`$n"
"@
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Be @(
            'CommCare.PowerShell net8.0/CommCare.PowerShell.dll r2r=False'
            "CommCare.Client net8.0/dependencies/$rid/CommCare.Client.dll r2r=True"
            "Polly.Core net8.0/dependencies/$rid/Polly.Core.dll r2r=True"
            'stj=1 True', 'count=1')
    }

    It 'falls back to the IL build where no precompiled platform folder fits' {
        $copy = Join-Path ([IO.Path]::GetTempPath()) ("cc-il-" + [guid]::NewGuid())
        Copy-Item (Split-Path $ModulePsd1) $copy -Recurse
        try {
            Get-ChildItem (Join-Path $copy 'net8.0/dependencies') -Directory | Remove-Item -Recurse -Force
            $r = Invoke-FreshPwsh @"
Import-Module '$copy/CommCare.psd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001'
"count=`$(@(Get-CCCase -First 3).Count)"
`$a = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'CommCare.Client' }
[IO.Path]::GetRelativePath('$copy', `$a.Location)
"@
            $r.ExitCode | Should -Be 0
            $r.Output | Should -Be @('count=3', 'net8.0/dependencies/CommCare.Client.dll')
        }
        finally { Remove-Item $copy -Recurse -Force }
    }

    It 'runs the netstandard2.0 build (Windows PowerShell 5.1''s) with the same cmdlets when it is imported directly' {
        # No 5.1 here: its build still runs on PowerShell 7 through the reflection-made load context.
        $dir = Split-Path $ModulePsd1
        $r = Invoke-FreshPwsh @"
Import-Module '$dir/netstandard2.0/CommCare.Models.dll', '$dir/netstandard2.0/CommCare.PowerShell.dll'
Update-TypeData -AppendPath '$dir/CommCare.types.ps1xml'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001'
"cmdlets=`$((Get-Command -Module CommCare.PowerShell).Count)"
"cases=`$(@(Get-CCCase -CaseType patient -First 5).Count)"
"forms=`$(@(Get-CCForm -First 3).Count)"
`$a = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'CommCare.Client' }
[IO.Path]::GetRelativePath('$dir', `$a.Location)
"@
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Be @("cmdlets=$((Get-ManifestData).CmdletsToExport.Count)", 'cases=5', 'forms=3', 'netstandard2.0/dependencies/CommCare.Client.dll')
    }

    It 'loads the client and its dependencies in a private load context, the models in the default one' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001'
`$n = @(Get-CCCase -First 1).Count
foreach (`$name in 'CommCare.Client', 'Polly.Core', 'Microsoft.Extensions.Http', 'CommCare.Models', 'CommCare.PowerShell') {
    `$a = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq `$name } | Select-Object -First 1
    "`$name=`$([Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name)"
}
"count=`$n"
"@
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Contain 'CommCare.Client=CommCare'
        $r.Output | Should -Contain 'Polly.Core=CommCare'
        $r.Output | Should -Contain 'Microsoft.Extensions.Http=CommCare'
        $r.Output | Should -Contain 'CommCare.Models=Default'
        $r.Output | Should -Contain 'CommCare.PowerShell=Default'
        $r.Output | Should -Contain 'count=1'
    }

    It 'still works when another module loaded conflicting Polly / Microsoft.Extensions versions first' {
        $r = Invoke-FreshPwsh @"
# Simulate another module (Az in a runbook) that loaded older, incompatible copies into the default context.
foreach (`$n in 'Polly.Core, Version=7.0.0.0', 'Microsoft.Extensions.Http, Version=6.0.0.0', 'Microsoft.Extensions.DependencyInjection.Abstractions, Version=6.0.0.0', 'System.Threading.RateLimiting, Version=7.0.0.0') {
    `$ab = [Reflection.Emit.AssemblyBuilder]::DefineDynamicAssembly([Reflection.AssemblyName]::new(`$n), 'Run')
    `$null = `$ab.DefineDynamicModule('m').DefineType('Conflict').CreateType()
}
`$pre = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Polly.Core' }
"preloaded=`$(`$pre.GetName().Version)"
Import-Module '$ModulePsd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001'
"cases=`$(@(Get-CCCase -CaseType patient -First 5).Count)"
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Polly.Core' -and `$_.GetName().Version.Major -eq 8 }
"ours=`$([Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$ours).Name)"
"@
        $r.Output | Should -Contain 'preloaded=7.0.0.0'
        $r.Output | Should -Contain 'cases=5'
        $r.Output | Should -Contain 'ours=CommCare'
        $r.ExitCode | Should -Be 0
    }

    It 'survives Import-Module -Force twice in one session' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
Import-Module '$ModulePsd1' -Force
Import-Module '$ModulePsd1' -Force
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName admin@example.com -ApiKey 'emu-admin-key-0001'
"cases=`$(@(Get-CCCase -First 2).Count)"
"cmdlets=`$((Get-Command -Module CommCare).Count)"
"@
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Contain 'cases=2'
        $r.Output | Should -Contain "cmdlets=$((Get-ManifestData).CmdletsToExport.Count)"
    }

    It 'gives every cmdlet valid parameter metadata' {
        # A bad declaration (e.g. aliases differing only in case) leaves a cmdlet with no parameters and no error.
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
foreach (`$c in Get-Command -Module CommCare) { "`$(`$c.Name)=`$(`$c.Parameters.Count)" }
"@
        $r.ExitCode | Should -Be 0
        @($r.Output | Where-Object { $_ -like '*-CC*=*' }).Count | Should -Be (Get-ManifestData).CmdletsToExport.Count
        foreach ($line in $r.Output | Where-Object { $_ -like '*-CC*=*' }) {
            $name, $count = $line -split '='
            [int]$count | Should -BeGreaterOrEqual 12 -Because "$name must have metadata (a broken declaration leaves 0 parameters)"
        }
    }

    It 'has help with a synopsis, a description, every parameter described and two examples for every cmdlet' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
`$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
foreach (`$c in Get-Command -Module CommCare) {
    `$h = Get-Help `$c.Name -Full
    `$undoc = foreach (`$p in `$c.Parameters.Keys) {
        if (`$p -in `$common) { continue }
        `$hp = `$h.Parameters.Parameter | Where-Object Name -eq `$p
        if (-not `$hp -or -not ((`$hp.Description | Out-String).Trim())) { `$p }
    }
    "`$(`$c.Name)|`$([bool](`$h.Synopsis -and `$h.Synopsis -notmatch '^\s*\S+-CC\S+ \['))|`$([bool](`$h.Description | Out-String).Trim())|`$(@(`$h.Examples.Example).Count)|`$(`$undoc -join ',')"
}
"@
        $r.ExitCode | Should -Be 0
        @($r.Output).Count | Should -Be (Get-ManifestData).CmdletsToExport.Count
        foreach ($line in $r.Output) {
            $name, $syn, $desc, $ex, $undoc = $line -split '\|'
            $syn | Should -Be 'True' -Because "$name needs a real synopsis"
            $desc | Should -Be 'True' -Because "$name needs a description"
            [int]$ex | Should -BeGreaterOrEqual 2 -Because "$name needs two examples"
            $undoc | Should -BeNullOrEmpty -Because "every parameter of $name needs a description"
        }
    }

    It 'follows PowerShell naming and write conventions: approved verbs, singular CC nouns, ShouldProcess on writes, OutputType everywhere' {
        Import-Module $ModulePsd1 -Force
        $approved = (Get-Verb).Verb
        $writeVerbs = 'New', 'Set', 'Remove', 'Close', 'Send', 'Import', 'Enable', 'Disable', 'Save', 'Export'
        # Local only: New-CCCaseUpdateForm builds an object; Set-CCSessionOption changes the session object in memory.
        $localOnly = 'New-CCCaseUpdateForm', 'Set-CCSessionOption'
        $cmds = @(Get-Command -Module CommCare)
        $cmds.Count | Should -Be (Get-ManifestData).CmdletsToExport.Count
        foreach ($c in $cmds) {
            $c.Verb | Should -BeIn $approved -Because "$($c.Name) must use an approved verb"
            $c.Noun | Should -Match '^CC[A-Z][A-Za-z]*[^s]$' -Because "$($c.Name) needs a singular CC noun"
            $attr = $c.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0]
            if ($c.Verb -in $writeVerbs -and $c.Name -notin $localOnly) { $attr.SupportsShouldProcess | Should -BeTrue -Because "$($c.Name) writes" }
            @($c.OutputType).Count | Should -BeGreaterThan 0 -Because "$($c.Name) needs [OutputType]"
        }
        $m = Test-ModuleManifest $ModulePsd1
        $m.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $m.PrivateData.PSData.Tags | Should -Contain 'PSEdition_Desktop'
        $m.PrivateData.PSData.Tags | Should -Contain 'PSEdition_Core'
    }

    It 'has a Markdown page in docs/cmdlets for every cmdlet, up to date with its help (build.ps1 -Task Docs)' {
        $docs = Join-Path $PSScriptRoot '../../docs/cmdlets'
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
foreach (`$c in Get-Command -Module CommCare) { "`$(`$c.Name)|`$(((Get-Help `$c.Name).Synopsis -replace '\s+', ' ').Trim())" }
"@
        $r.ExitCode | Should -Be 0
        foreach ($line in $r.Output) {
            $name, $synopsis = $line -split '\|', 2
            $page = Join-Path $docs "$name.md"
            Test-Path $page | Should -BeTrue -Because "$name needs docs/cmdlets/$name.md"
            (Get-Content $page -Raw).Contains($synopsis) | Should -BeTrue -Because "docs/cmdlets/$name.md must match the help (run build.ps1 -Task Docs)"
        }
    }
}
