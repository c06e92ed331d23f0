# The module as people install it: a Gallery .nupkg installed by PSResourceGet into a clean module path, and the
# Azure Automation zip, both made from the staged module the way build.ps1 -Task Package makes them.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:work = Join-Path ([IO.Path]::GetTempPath()) ("cc-pkg-" + [guid]::NewGuid())
    $script:src = Join-Path $work 'src/CommCare'
    $script:feed = Join-Path $work 'feed'
    $script:modules = Join-Path $work 'Modules'
    New-Item -ItemType Directory -Force -Path $src, $feed, $modules | Out-Null
    Copy-Item (Join-Path (Split-Path $ModulePsd1) '*') $src -Recurse
    Compress-PSResource -Path $src -DestinationPath $feed
    $script:repo = 'CommCareTest' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    Register-PSResourceRepository -Name $repo -Uri $feed -Trusted
}
AfterAll {
    Unregister-PSResourceRepository -Name $repo -ErrorAction SilentlyContinue
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Packaging' {
    It 'builds a .nupkg whose nuspec carries the manifest''s metadata' {
        $nupkg = Get-ChildItem $feed -Filter 'CommCare.*.nupkg'
        $nupkg.Name | Should -Be "CommCare.$((Get-ManifestData).ModuleVersion).nupkg"
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($nupkg.FullName)
        try {
            $names = $zip.Entries.FullName
            $names | Should -Contain 'CommCare.psd1'
            $names | Should -Contain 'en-US/CommCare.PowerShell.dll-Help.xml'
            foreach ($dir in 'net8.0/dependencies', 'netstandard2.0/dependencies', 'net8.0/dependencies/win-x64') {
                $names | Should -Contain "$dir/CommCare.Client.dll"
            }
            $r = [IO.StreamReader]::new(($zip.Entries | Where-Object FullName -eq 'CommCare.nuspec').Open())
            $nuspec = [xml]$r.ReadToEnd(); $r.Dispose()
            $nuspec.package.metadata.id | Should -Be 'CommCare'
            $nuspec.package.metadata.tags | Should -BeLike '*PSEdition_Core*'
        }
        finally { $zip.Dispose() }
    }

    It 'installs with PSResourceGet into a clean module path and imports by name in a fresh pwsh' {
        Save-PSResource -Name CommCare -Repository $repo -Path $modules -TrustRepository -SkipDependencyCheck
        $psd1 = Get-ChildItem $modules -Recurse -Filter CommCare.psd1
        $psd1.Count | Should -Be 1
        $r = Invoke-FreshPwsh @"
`$env:PSModulePath = '$modules' + [IO.Path]::PathSeparator + `$env:PSModulePath
Import-Module CommCare -ErrorAction Stop
(Get-Module CommCare).ModuleBase
(Get-Command -Module CommCare).Count
Connect-CCServer -Server http://127.0.0.1:9 -Domain demo -UserName a@b.c -ApiKey (ConvertTo-SecureString k -AsPlainText -Force) -SkipValidation -PassThru | ForEach-Object Domain
[bool]((Get-Help about_CommCare | Out-String) -match 'Resumable exports')
"@
        $r.ExitCode | Should -Be 0
        $r.Output[0] | Should -BeLike "$modules*"
        [int]$r.Output[1] | Should -Be (Get-ManifestData).CmdletsToExport.Count
        $r.Output[2] | Should -Be 'demo'
        $r.Output[3] | Should -Be 'True'      # Get-Help about_CommCare
    }

    It 'the Azure Automation zip is named like the module and holds the module folder with its manifest' {
        $zipPath = Join-Path $work 'CommCare.zip'
        Compress-Archive -Path $src -DestinationPath $zipPath
        $target = Join-Path $work 'aa'
        Expand-Archive $zipPath $target
        Test-Path (Join-Path $target 'CommCare/CommCare.psd1') | Should -BeTrue
        (Test-ModuleManifest (Join-Path $target 'CommCare/CommCare.psd1')).Name | Should -Be 'CommCare'
    }
}
