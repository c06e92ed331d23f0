# docs/getting-started.md, followed as a new user would: the bash block's commands, the emulator's closing
# lines as the page shows them, then every PowerShell block in order in one session against that emulator.
# What the test changes in the page's commands is listed in $Substitutions (and printed).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Guide = Get-Content (Join-Path $Root 'docs/getting-started.md') -Raw

    # The fenced blocks of a Markdown page, in order, with their language.
    function Get-FencedBlock([string] $Markdown) {
        foreach ($m in [regex]::Matches($Markdown, '(?ms)^```(\w*)[ \t]*\r?\n(.*?)^```')) {
            [pscustomobject]@{ Language = $m.Groups[1].Value; Text = $m.Groups[2].Value.TrimEnd() }
        }
    }
}

Describe 'docs/getting-started.md' {
    It 'runs every command on the page against the emulator it starts' {
        $blocks = @(Get-FencedBlock $Guide)
        $blocks.Count | Should -BeGreaterThan 4
        $bash = @($blocks | Where-Object Language -eq 'bash')
        $bash.Count | Should -Be 1 -Because 'one shell block: restore the tool and start the emulator'
        $run = $null
        try {
            foreach ($line in $bash[0].Text -split "`r?`n" | Where-Object { $_.Trim() }) {
                switch -Regex ($line.Trim()) {
                    '^dotnet tool restore$' {
                        Push-Location $Root
                        try { $out = & dotnet tool restore 2>&1; $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n") } finally { Pop-Location }
                    }
                    '^dotnet pwsh \./build\.ps1 -Task Emulator$' {
                        Write-Host "    (getting-started: build.ps1 -Task Emulator runs with -NoBuild -Port 0: the suite already built the module under test, and 8700 may be taken)"
                        $run = Start-BuildTask 'Emulator'
                    }
                    default { throw "The test has no way to run this line of the guide's shell block: $line" }
                }
            }
            $banner = Wait-Banner $run 120
            $port = ([uri]$banner.Url).Port

            # The closing lines the page shows are the ones the task prints (the page's port and clone path aside).
            $printed = @($run.Lines.ToArray()) -join "`n"
            $shown = ($blocks | Where-Object Language -eq 'text' | Select-Object -First 1).Text
            foreach ($l in $shown -split "`r?`n" | Where-Object { $_.Trim() }) {
                $expected = $l.Trim().Replace('127.0.0.1:8700', "127.0.0.1:$port").Replace('/path/to/clone/', "$Root/")
                $printed | Should -Match ([regex]::Escape($expected)) -Because 'the page shows what the task prints'
            }

            $Substitutions = @(
                @{ Find = '127.0.0.1:8700'; Replace = "127.0.0.1:$port"; Why = 'the emulator the test started (-Port 0)' }
                @{ Find = './out/CommCare/0.1.0/CommCare.psd1'; Replace = $ModulePsd1; Why = 'the module under test (the commands run in a scratch folder)' }
                @{ Find = '-Server www'; Replace = "-Server $($banner.Url)"; Why = 'step 6 is CommCare HQ: the emulator stands in' }
                @{ Find = '-Domain my-project'; Replace = '-Domain demo'; Why = 'the emulator''s project space' }
            )
            foreach ($s in $Substitutions) { Write-Host "    (getting-started: '$($s.Find)' -> '$($s.Replace)': $($s.Why))" }
            $code = @($blocks | Where-Object Language -eq 'powershell' | ForEach-Object {
                $t = $_.Text
                foreach ($s in $Substitutions) { $t = $t.Replace($s.Find, $s.Replace) }
                $t
            })
            $code.Count | Should -BeGreaterOrEqual 5

            $dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-guide-" + [guid]::NewGuid())
            New-Item -ItemType Directory $dir | Out-Null
            Push-Location $dir; [Environment]::CurrentDirectory = $dir
            try {
                # One session, as a user typing the blocks one after another.
                $outputs = & {
                    param($__blocks, $__cred)
                    $ErrorActionPreference = 'Stop'
                    function Get-Credential { $__cred }   # would prompt: the emulator's admin e-mail and key
                    foreach ($__b in $__blocks) { , ((. ([scriptblock]::Create($__b)) 6>&1 | Out-String -Width 120)) }
                } $code (New-AdminCredential)
            }
            finally { Pop-Location; [Environment]::CurrentDirectory = $Root; Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue }

            # What the page promises each step shows.
            $outputs.Count | Should -Be $code.Count
            $outputs[0] | Should -Match ([regex]::Escape($AdminUser))                                     # Get-CCIdentity
            $outputs[1] | Should -Match '(?m)^[0-9a-f-]{36} patient'                                        # full case ids
            $outputs[1] | Should -Match 'Register'
            $outputs[2] | Should -Match '(?m)^Count\s+:\s+\d+'                                              # forms.csv read back
            $outputs[3] | Should -Match 'about_CommCare'
            $outputs[4] | Should -Match '(?m)^amina\.k@\S+\s+\S{8,}'                                        # the generated password, shown
            $outputs[5] | Should -Match '0 would be updated'
            (Get-CCMobileWorker -UserName amina.k).Language | Should -Be 'sw'
        }
        finally {
            if ($run) { Stop-BuildTask $run | Should -BeTrue -Because 'Ctrl+C stops the emulator' }
            Disconnect-CCServer -ErrorAction SilentlyContinue
        }
    }
}
