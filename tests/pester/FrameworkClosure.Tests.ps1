# Windows PowerShell 5.1 cannot run here, so its load path is proved statically: every assembly the
# netstandard2.0 build ships (found on disk, not listed) is bound against .NET Framework 4.7.2's reference
# assemblies, versions included, and each reference the framework cannot bind must be answered by the
# module's own resolve handler (ModuleInitializer.DependencyFor, the code 5.1 runs) with a file of that
# version or a higher one. 5.1 has no binding redirects: anything else is a FileLoadException at the first call.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:build = Join-Path (Split-Path $ModulePsd1) 'netstandard2.0'
    $script:refDir = $env:COMMCARE_NET472_REF
    if (-not $refDir -or -not (Test-Path (Join-Path $refDir 'mscorlib.dll'))) { throw 'COMMCARE_NET472_REF must point at the .NET Framework 4.7.2 reference assemblies (set by build.ps1).' }

    function Get-AssemblyInfo([string] $Path) {
        $stream = [IO.File]::OpenRead($Path)
        try {
            $pe = [Reflection.PortableExecutable.PEReader]::new($stream)
            if (-not $pe.HasMetadata) { return $null }   # a native library (SQLite's, say): nothing to bind
            $md = [Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            if (-not $md.IsAssembly) { return $null }
            $def = $md.GetAssemblyDefinition()
            $refs = foreach ($h in $md.AssemblyReferences) {
                $r = $md.GetAssemblyReference($h)
                [pscustomobject]@{ Name = $md.GetString($r.Name); Version = $r.Version }
            }
            [pscustomobject]@{ Path = $Path; Name = $md.GetString($def.Name); Version = $def.Version; References = @($refs) }
        }
        catch [BadImageFormatException] { $null }
        finally { $stream.Dispose() }
    }

    # What 5.1 binds without us: the framework (GAC, unified to its version) and PowerShell's own assembly.
    $script:framework = @{ 'System.Management.Automation' = [version]'3.0.0.0' }
    foreach ($f in @(Get-ChildItem $refDir -Filter *.dll) + @(Get-ChildItem (Join-Path $refDir 'Facades') -Filter *.dll)) {
        $a = Get-AssemblyInfo $f.FullName
        if ($a) { $framework[$a.Name] = $a.Version }
    }

    # Asks the netstandard2.0 build's resolve handler, in a fresh process, which file it serves for each reference.
    function Get-HandlerAnswer([string[]] $References) {
        $list = ($References | ForEach-Object { "'$_'" }) -join ', '
        $r = Invoke-FreshPwsh @"
Add-Type -Path '$(Join-Path $build 'CommCare.PowerShell.dll')'
foreach (`$ref in @($list)) { "`$ref|`$([CommCare.PowerShell.ModuleInitializer]::DependencyFor(`$ref))" }
"@
        if ($r.ExitCode -ne 0) { throw "Asking the resolve handler failed: $($r.Output -join "`n")" }
        $answers = @{}
        foreach ($line in $r.Output) { $name, $path = $line -split '\|', 2; $answers[$name] = $path }
        $answers
    }

    # The closure: start from every file the build ships, bind each reference, follow what the handler serves.
    function Test-Closure {
        $todo = [Collections.Generic.Queue[object]]::new()
        $seen = @{}
        foreach ($f in Get-ChildItem $build -Recurse -File -Include *.dll, *.exe) {
            $a = Get-AssemblyInfo $f.FullName
            if ($a) { $todo.Enqueue($a); $seen[$f.FullName] = $true }
        }
        $bound = [Collections.Generic.List[object]]::new()
        $gaps = [Collections.Generic.List[string]]::new()
        $shipped = 0
        while ($todo.Count) {
            $batch = @(while ($todo.Count) { $todo.Dequeue() })
            $shipped += $batch.Count
            $pending = [Collections.Generic.List[object]]::new()
            foreach ($a in $batch) {
                foreach ($ref in $a.References) {
                    $fw = $framework[$ref.Name]
                    if ($fw -and $fw -ge $ref.Version) { $bound.Add([pscustomobject]@{ From = $a.Name; Ref = $ref; By = 'framework' }) }
                    else { $pending.Add([pscustomobject]@{ From = $a; Ref = $ref; Framework = $fw }) }
                }
            }
            if (-not $pending.Count) { continue }
            $answers = Get-HandlerAnswer @($pending | ForEach-Object { "$($_.Ref.Name), Version=$($_.Ref.Version)" } | Sort-Object -Unique)
            foreach ($p in $pending) {
                $what = "$([IO.Path]::GetFileName($p.From.Path)) references $($p.Ref.Name) $($p.Ref.Version)"
                $has = if ($p.Framework) { ".NET Framework 4.7.2 has only $($p.Framework)" } else { '.NET Framework 4.7.2 does not have it' }
                $path = $answers["$($p.Ref.Name), Version=$($p.Ref.Version)"]
                if (-not $path) { $gaps.Add("$what; $has and the module's resolve handler does not answer it"); continue }
                $served = Get-AssemblyInfo $path
                if (-not $served -or $served.Name -ne $p.Ref.Name -or $served.Version -lt $p.Ref.Version) {
                    $gaps.Add("$what; $has and the handler serves $path ($($served.Name) $($served.Version))"); continue
                }
                $bound.Add([pscustomobject]@{ From = $p.From.Name; Ref = $p.Ref; By = "handler: $($served.Version)" })
                if (-not $seen[$served.Path]) { $seen[$served.Path] = $true; $todo.Enqueue($served) }
            }
        }
        [pscustomobject]@{ Shipped = $shipped; Bound = $bound; Gaps = $gaps }
    }
}

Describe 'Windows PowerShell 5.1 load path (netstandard2.0 build against .NET Framework 4.7.2)' {
    It 'binds every reference of every shipped assembly: the framework at its version, or the resolve handler with the version asked for or higher' {
        $c = Test-Closure
        $c.Gaps | Should -BeNullOrEmpty -Because 'each of these fails on Windows PowerShell 5.1 with FileLoadException at the first call'
        $c.Shipped | Should -BeGreaterThan 20
        # The classic 5.1 conflicts are really exercised: references above the framework's own version go to our copies.
        $byHandler = @($c.Bound | Where-Object By -like 'handler*' | ForEach-Object { $_.Ref.Name } | Sort-Object -Unique)
        foreach ($n in 'System.Memory', 'System.Runtime.CompilerServices.Unsafe', 'System.Text.Json', 'System.Numerics.Vectors', 'Polly.Core', 'CommCare.Client',
                'CommCare.Database', 'Npgsql', 'Microsoft.Data.Sqlite', 'SQLitePCLRaw.core') {
            $byHandler | Should -Contain $n
        }
        Write-Host ("    {0} shipped assemblies, {1} references: {2} bound by the framework, {3} by the resolve handler" -f
            $c.Shipped, $c.Bound.Count, @($c.Bound | Where-Object By -eq 'framework').Count, @($c.Bound | Where-Object By -like 'handler*').Count)
    }

    It 'reports a gap when a dependency is missing' {
        # The same check over a copy of the build without System.Memory, which System.Text.Json needs at 4.0.1.2.
        $copy = Join-Path ([IO.Path]::GetTempPath()) ("cc-closure-" + [guid]::NewGuid())
        Copy-Item $build $copy -Recurse
        try {
            Remove-Item (Join-Path $copy 'dependencies/System.Memory.dll')
            $script:build = $copy
            $c = Test-Closure
            $c.Gaps | Should -Not -BeNullOrEmpty
            $c.Gaps -match '^System\.Text\.Json\.dll references System\.Memory 4\.0\.1\.2; \.NET Framework 4\.7\.2 does not have it' | Should -Not -BeNullOrEmpty
        }
        finally { $script:build = Join-Path (Split-Path $ModulePsd1) 'netstandard2.0'; Remove-Item $copy -Recurse -Force }
    }
}
