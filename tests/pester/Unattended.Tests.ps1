# Issue 15: an unattended run never hangs on a stalled server, never runs out of memory on an endless
# answer, never reports wrong data as success, and never ends quietly after a failure.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
    # A 2 s attempt timeout and no retries: a stall must end within RequestTimeout + 2 s.
    $script:fast = Connect-TestServer $url -Options @{ RequestTimeout = 2; MaxRetryCount = 0 }

    # Runs $Call with the script's fault on the path; returns the error record and the seconds it took.
    function Measure-Stall([hashtable] $Fault, [scriptblock] $Call) {
        Invoke-Emu $url 'faults' -Body $Fault | Out-Null
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $err = $null
        try { & $Call | Out-Null } catch { $err = $_ }
        [pscustomobject]@{ Error = $err; Seconds = $sw.Elapsed.TotalSeconds }
    }

    # Starts $Script in another runspace, waits until the server has begun stalling (a stalled request is
    # logged only when it ends, so the fault's count tells), then stops it.
    function Measure-Stop([string] $Script) {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModulePsd1'`n" + $Script)
        $null = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ([DateTime]::UtcNow -lt $deadline -and (Invoke-Emu $url 'faults' -Method GET).injected -lt 1) { Start-Sleep -Milliseconds 100 }
        Start-Sleep -Milliseconds 300
        $ps.InvocationStateInfo.State | Should -Be 'Running'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $t = $sw.Elapsed.TotalSeconds
        $state = $ps.InvocationStateInfo.State
        $ps.Dispose()
        [pscustomobject]@{ Seconds = $t; State = $state }
    }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'A body that stalls after the headers' {
    BeforeAll {
        $script:formId = (Get-CCForm -First 1).Id
        Invoke-Emu $url 'attachments' -Body @{ formId = $formId; name = 'clip.mp4'; size = 2MB; contentType = 'video/mp4'; seed = 5 } | Out-Null
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-stall-" + [guid]::NewGuid())
        New-Item -ItemType Directory $dir | Out-Null
        $script:connect = "`$null = Connect-CCServer -Server '$url' -Domain demo -UserName $AdminUser -ApiKey '$AdminKey' -SkipValidation -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0 -RequestTimeout 60"
    }
    BeforeEach { Reset-Emu $url }

    It 'a write (New-CCGroup) ends within RequestTimeout + 2 s; the group was made, so it is found by name, not made twice' {
        $r = Measure-Stall @{ script = @('stall'); pathContains = '/group/' } { New-CCGroup -Session $fast -Name 'Stalled Group' -ErrorAction Stop }
        $r.Seconds | Should -BeLessThan 4
        $r.Error | Should -BeNullOrEmpty
        @(Get-CCGroup -Name 'Stalled Group').Count | Should -Be 1
        @(Get-EmuRequests $url | Where-Object { $_.method -eq 'POST' }).Count | Should -Be 1    # a POST is not repeated
    }

    It 'Invoke-CCRestMethod -Method Post ends with a timeout error within RequestTimeout + 2 s' {
        $r = Measure-Stall @{ script = @('stall'); pathContains = '/group/' } {
            Invoke-CCRestMethod -Session $fast -Method Post -Path 'v0.5/group/' -Body @{ name = 'Raw Stalled' } -ErrorAction Stop }
        $r.Seconds | Should -BeLessThan 4
        $r.Error.FullyQualifiedErrorId | Should -BeLike 'CommCare.Timeout*'
    }

    It 'Get-CCRestore ends with a timeout error within RequestTimeout + 2 s' {
        $r = Measure-Stall @{ script = @('stall'); pathContains = '/phone/restore/' } { Get-CCRestore -Session $fast -AsUser worker1 -ErrorAction Stop }
        $r.Seconds | Should -BeLessThan 4
        $r.Error.FullyQualifiedErrorId | Should -BeLike 'CommCare.Timeout*'
    }

    It 'Get-CCRestore asks again after a stall when retries are allowed, and succeeds' {
        $s = Connect-TestServer $url -Options @{ RequestTimeout = 2; MaxRetryCount = 2 }
        Invoke-Emu $url 'faults' -Body @{ script = @('stall'); pathContains = '/phone/restore/' } | Out-Null
        $r = Get-CCRestore -Session $s -AsUser worker1
        $r.UserName | Should -Not -BeNullOrEmpty
        @(Get-EmuRequests $url | Where-Object { $_.path -like '*/phone/restore/*' }).Count | Should -Be 2
    }

    It 'a download (Save-CCFormAttachment) ends with a timeout error within RequestTimeout + 2 s and leaves no file' {
        $r = Measure-Stall @{ script = @('stall'); pathContains = 'clip.mp4' } { Save-CCFormAttachment -Session $fast -FormId $formId -Name clip.mp4 -Path $dir -ErrorAction Stop }
        $r.Seconds | Should -BeLessThan 4
        $r.Error.FullyQualifiedErrorId | Should -BeLike 'CommCare.*'
        "$($r.Error)" | Should -BeLike '*within 2 s*'
        @(Get-ChildItem $dir -Force).Count | Should -Be 0
    }

    It 'a failing download whose error body stalls ends within RequestTimeout + 2 s' {
        $r = Measure-Stall @{ script = @('stall'); pathContains = 'no-such.mp4' } { Save-CCFormAttachment -Session $fast -FormId $formId -Name no-such.mp4 -Path $dir -ErrorAction Stop }
        $r.Seconds | Should -BeLessThan 4
        $r.Error.FullyQualifiedErrorId | Should -BeLike 'CommCare.Timeout*'
    }

    It 'Stop() (Ctrl+C) returns within 1 s from a stalled <Name>' -TestCases @(
        @{ Name = 'write'; Path = '/group/'; Call = "New-CCGroup -Name 'Stop Me'" }
        @{ Name = 'restore'; Path = '/phone/restore/'; Call = 'Get-CCRestore -AsUser worker1' }
        @{ Name = 'download'; Path = 'clip.mp4'; Call = "Save-CCFormAttachment -FormId '{form}' -Name clip.mp4 -Path '{dir}' -Force" }
        @{ Name = 'Invoke-CCRestMethod -Method Post'; Path = '/group/'; Call = "Invoke-CCRestMethod -Method Post -Path 'v0.5/group/' -Body @{ name = 'Raw Stop' }" }
    ) {
        param($Name, $Path, $Call)
        Invoke-Emu $url 'faults' -Body @{ script = @('stall'); pathContains = $Path } | Out-Null
        $r = Measure-Stop ("$connect`n" + $Call.Replace('{form}', $formId).Replace('{dir}', $dir))
        $r.Seconds | Should -BeLessThan 1
        $r.State | Should -Be 'Stopped'
    }
}

Describe 'Size and depth caps' {
    BeforeEach { Reset-Emu $url }

    It 'an endless 200 body on a list page is a BadResponse at the cap; the peak working set stays under twice the cap' {
        Invoke-Emu $url 'faults' -Body @{ script = @('endless'); pathContains = '/case/' } | Out-Null
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
`$null = Connect-CCServer -Server '$url' -Domain demo -UserName $AdminUser -ApiKey '$AdminKey' -SkipValidation -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0 -MaxRetryCount 0 -MaxResponseSize 512MB
`$p = [Diagnostics.Process]::GetCurrentProcess()
`$sw = [Diagnostics.Stopwatch]::StartNew()
try { Get-CCCase -First 1 -ErrorAction Stop | Out-Null; 'NO ERROR' } catch { "ERR `$(`$_.FullyQualifiedErrorId) `$(`$_.Exception.Message)" }
`$p.Refresh()
"PEAK `$(`$p.PeakWorkingSet64) SECONDS `$([int]`$sw.Elapsed.TotalSeconds)"
"@
        $r.ExitCode | Should -Be 0
        $err = $r.Output | Where-Object { $_ -like 'ERR *' }
        $err | Should -BeLike 'ERR CommCare.BadResponse*larger than the 512MB cap*-MaxResponseSize*'
        $peak = [long](($r.Output | Where-Object { $_ -like 'PEAK *' }) -split ' ')[1]
        Write-Host "    endless 200 body, cap 512 MB: $($r.Output | Where-Object { $_ -like 'PEAK *' }) (peak bytes)"
        $peak | Should -BeLessThan (2 * 512MB)
    }

    It 'an endless error body on a download is a BadResponse naming the status, not a hang or a 2 GB buffer' {
        $formId = (Get-CCForm -First 1).Id
        Invoke-Emu $url 'faults' -Body @{ script = @('endless-500'); pathContains = '/attachment/' } | Out-Null
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $err = $null
        try { Save-CCFormAttachment -Session $fast -FormId $formId -Name anything.jpg -Path ([IO.Path]::GetTempPath()) -ErrorAction Stop } catch { $err = $_ }
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 15
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.BadResponse*'
        "$err" | Should -BeLike '*(500)*larger than the 16MB cap*'
    }

    It 'ConvertFrom-CCForwardedPayload refuses 100,000 nested elements with an error, and the process lives' {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
`$xml = ('<a>' * 100000) + ('</a>' * 100000)
try { ConvertFrom-CCForwardedPayload -Body `$xml -ErrorAction Stop | Out-Null; 'NO ERROR' } catch { "ERR `$(`$_.FullyQualifiedErrorId) `$(`$_.Exception.Message)" }
'ALIVE'
"@
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Contain 'ALIVE'
        ($r.Output | Where-Object { $_ -like 'ERR *' }) | Should -BeLike '*-Body*nested more than 512 levels*'
    }
}

Describe 'Resumed downloads' {
    BeforeEach { Reset-Emu $url }

    It 'a resume answered with the wrong Content-Range starts again, and the file is exactly right' {
        $formId = (Get-CCForm -First 1).Id
        Invoke-Emu $url 'attachments' -Body @{ formId = $formId; name = 'small.bin'; size = 100; contentType = 'application/octet-stream'; seed = 9 } | Out-Null
        # The first answer breaks off after 50 bytes; the resume (Range: bytes=50-) gets a 206 that claims to start at 0.
        Invoke-Emu $url 'faults' -Body @{ script = @('truncate', 'wrong-range'); pathContains = 'small.bin' } | Out-Null
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-range-" + [guid]::NewGuid())
        New-Item -ItemType Directory $dir | Out-Null
        $f = Save-CCFormAttachment -FormId $formId -Name small.bin -Path $dir -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [IO.FileInfo] }
        ($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and "$_" -like '*starting again*' }) | Should -Not -BeNullOrEmpty
        $f.Length | Should -Be 100
        $log = @(Get-EmuRequests $url | Where-Object { $_.path -like '*small.bin' })
        # The cut-off answer is logged when its connection closes, which can be after the resume: order-free.
        $log.Count | Should -Be 3
        @($log.fault | Where-Object { $_ } | Sort-Object) | Should -Be @('truncate', 'wrong-range')   # and one plain request for the whole file
        $direct = Join-Path $dir 'direct.bin'
        Invoke-WebRequest "$url/a/demo/api/form/attachment/$formId/small.bin" -Headers @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" } -OutFile $direct
        (Get-FileHash $f.FullName).Hash | Should -Be (Get-FileHash $direct).Hash
    }
}

Describe 'The documented runbook fails loudly' {
    BeforeAll {
        # The runbook exactly as docs/azure-automation.md shows it (the block after the "runbook" marker).
        $doc = Get-Content (Join-Path $PSScriptRoot '../../docs/azure-automation.md') -Raw
        $script:runbookText = [regex]::Match($doc, '(?s)<!-- runbook[^>]*-->\s*```powershell\s*(.*?)```').Groups[1].Value
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ("cc-runbook-" + [guid]::NewGuid())
        New-Item -ItemType Directory $work | Out-Null

        # Runs the runbook in a child pwsh as Azure Automation would: a credential asset and the module; only the
        # retry waits and the page size are shortened (through default parameter values, not the runbook).
        function Invoke-Runbook([string] $Server, [string] $Domain = 'demo', [string] $Key = $AdminKey, [string] $Text = $runbookText) {
            $folder = Join-Path $work ([guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory $folder | Out-Null
            $rb = Join-Path $folder 'runbook.ps1'
            Set-Content -Path $rb -Value $Text -Encoding utf8
            $r = Invoke-FreshPwsh @"
Import-Module '$ModulePsd1'
function Get-AutomationPSCredential([string] `$Name) { [pscredential]::new('$AdminUser', (ConvertTo-SecureString '$Key' -AsPlainText -Force)) }
`$PSDefaultParameterValues['Connect-CCServer:RetryBaseDelay'] = 0.01
`$PSDefaultParameterValues['Connect-CCServer:MaxRetryWait'] = 0.05
`$PSDefaultParameterValues['Get-CCForm:PageSize'] = 50
& '$rb' -Server '$Server' -Domain '$Domain' -Folder '$folder'
"@
            $csv = Join-Path $folder 'forms.csv'
            $r | Add-Member Rows $(if (Test-Path $csv) { @(Import-Csv $csv).Count } else { 0 }) -PassThru
        }
    }
    BeforeEach { Reset-Emu $url }

    It 'starts with $ErrorActionPreference = ''Stop'' (after its parameters) and exports every form when all is well' {
        ($runbookText -split "`n" | Where-Object { $_ -match '\S' -and $_ -notmatch '^\s*(param\(|\[|\))' } | Select-Object -First 1) | Should -Match "^\`$ErrorActionPreference = 'Stop'"
        $r = Invoke-Runbook $url
        $r.ExitCode | Should -Be 0 -Because ($r.Output -join "`n")
        $r.Rows | Should -Be 150
    }

    It 'exits non-zero with a wrong key' {
        $r = Invoke-Runbook $url -Key 'wrong-key'
        $r.ExitCode | Should -Not -Be 0
        ($r.Output -join "`n") | Should -BeLike '*refused the credentials*'
    }

    It 'exits non-zero with a mistyped project space, naming the user''s project spaces' {
        $r = Invoke-Runbook $url -Domain 'demoo'
        $r.ExitCode | Should -Not -Be 0
        ($r.Output -join "`n") | Should -BeLike "*not a member of project space 'demoo'*demo, other*"
    }

    It 'exits non-zero when the server is down' {
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop()
        $r = Invoke-Runbook "http://127.0.0.1:$port"
        $r.ExitCode | Should -Not -Be 0
        ($r.Output -join "`n") | Should -BeLike '*Could not reach CommCare*'
    }

    It 'exits non-zero when the server fails in the middle of the export (after the first page was written)' {
        Invoke-Emu $url 'faults' -Body @{ script = @('pass'); rate = 1; kinds = @('500'); pathContains = '/form/' } | Out-Null
        $r = Invoke-Runbook $url
        $r.ExitCode | Should -Not -Be 0
        ($r.Output -join "`n") | Should -BeLike '*answered 500*'
        $r.Rows | Should -Be 50
    }

    It 'would end with exit code 0 after a wrong key without that first line (why the docs require it)' {
        $r = Invoke-Runbook $url -Key 'wrong-key' -Text ($runbookText -replace "(?m)^\`$ErrorActionPreference = 'Stop'.*$", '')
        $r.ExitCode | Should -Be 0
        ($r.Output -join "`n") | Should -BeLike '*refused the credentials*'
    }
}

Describe 'Connect-CCServer checks the project space' {
    BeforeEach { Reset-Emu $url }

    It 'a project space the user is not a member of fails the connect, listing theirs; -SkipValidation skips the check' {
        $err = $null
        try { Connect-CCServer -Server $url -Domain demoo -Credential (New-AdminCredential) } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.InvalidArgument.Domain*'
        "$err" | Should -BeLike "*-Domain*not a member of project space 'demoo'*Their project spaces: demo, other*-SkipValidation*"
        (Get-CCSession).Domain | Should -Be 'demo'        # the failed connect did not replace the session
        $s = Connect-CCServer -Server $url -Domain demoo -Credential (New-AdminCredential) -SkipValidation -PassThru
        $s.Domain | Should -Be 'demoo'
        (Connect-CCServer -Server $url -Domain other -Credential (New-AdminCredential) -PassThru).Domain | Should -Be 'other'
        Connect-TestServer $url | Out-Null
    }
}

Describe 'Session options apply to every holder of the session' {
    BeforeAll { Invoke-Emu $url 'dataset' -Body @{ cases = 200; forms = 10 } | Out-Null }
    AfterAll { Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 0; perMinute = 0 } | Out-Null }

    It 'Set-CCSessionOption -Session $s -RequestsPerSecond 5, then four runspaces with -Session $s against a 5/s limit: zero 429s' {
        $s = Connect-TestServer $url -Options @{ MaxRetryCount = 0 }     # unpaced until the option is set
        Set-CCSessionOption -Session $s -RequestsPerSecond 5
        Reset-Emu $url
        Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 5 } | Out-Null
        $counts = 1..4 | ForEach-Object -ThrottleLimit 4 -Parallel {
            Import-Module $using:ModulePsd1
            @(Get-CCCase -Session $using:s -OrderBy server_date_modified -PageSize 20).Count
        }
        $counts | Should -Be @(200, 200, 200, 200)
        $log = @(Get-EmuRequests $url)
        $log.Count | Should -Be 40
        @($log | Where-Object status -eq 429).Count | Should -Be 0
    }

    It 'after a 429 the throttle widens its margin for the project and says so in -Verbose' {
        # Paced at 8/s against a 5/s server: small pages go fast, so a burst of 8 meets the limit.
        $s = Connect-TestServer $url -Options @{ RequestsPerSecond = 8; MaxRetryCount = 6; RetryBaseDelay = 0.2 }
        Reset-Emu $url
        Invoke-Emu $url 'ratelimit' -Body @{ perSecond = 5 } | Out-Null
        $all = Get-CCCase -Session $s -OrderBy server_date_modified -PageSize 2 -First 30 -Verbose 4>&1
        @($all | Where-Object { $_ -is [CommCare.Models.CCCase] }).Count | Should -Be 30
        @(Get-EmuRequests $url | Where-Object status -eq 429).Count | Should -BeGreaterThan 0
        $widened = @($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and "$_" -like "*429*project space 'demo' are spaced * ms further apart*" })
        $widened.Count | Should -BeGreaterThan 0
        "$($widened[0])" | Should -BeLike '*spaced 50 ms further apart*'
    }
}

Describe 'Smaller failures are clear CommCare errors' {
    BeforeAll {
        Connect-TestServer $url | Out-Null
        $script:formId = (Get-CCForm -First 1).Id
    }
    BeforeEach { Reset-Emu $url }

    It 'refuses a server URL with a user name and password, without showing the password, naming -Server once' {
        $err = $null
        $withPassword = 'https://someone:' + 'hunter2pw' + '@commcare.example.org'   # not on the line PowerShell echoes
        try { Connect-CCServer -Server $withPassword -Domain demo -Credential (New-AdminCredential) -SkipValidation } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.InvalidArgument.Server*'
        "$err" | Should -BeLike '*user name or password*-Credential*'
        ($err | Out-String) + $err.Exception.ToString() + "$($err.TargetObject)" | Should -Not -BeLike '*hunter2pw*'
        ([regex]::Matches("$err", "\(Parameter ")).Count | Should -BeLessOrEqual 1
    }

    It 'says "500 Internal Server Error", not the enum name' {
        Invoke-Emu $url 'faults' -Body @{ script = @('500') } | Out-Null
        $err = $null
        try { Get-CCCase -Session $fast -First 1 -ErrorAction Stop } catch { $err = $_ }
        "$err" | Should -BeLike '*500 Internal Server Error*'
    }

    It 'an attachment name no URL can carry (..) is that attachment''s error; the others are saved; one file is never written twice' {
        Invoke-Emu $url 'attachments' -Body @{ formId = $formId; name = 'ok.bin'; size = 1000; contentType = 'application/octet-stream'; seed = 2 } | Out-Null
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("cc-names-" + [guid]::NewGuid())
        New-Item -ItemType Directory $dir | Out-Null
        $saved = @(Save-CCFormAttachment -FormId $formId -Name '..', 'ok.bin', 'ok.bin' -Path $dir -Force -ErrorVariable ev -ErrorAction SilentlyContinue)
        $saved.Count | Should -Be 1
        $saved[0].Name | Should -Be 'ok.bin'
        $ev.Count | Should -Be 2
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.InvalidArgument*'
        "$($ev[0])" | Should -BeLike "*Attachment '..'*not saved*"
        "$($ev[1])" | Should -BeLike '*just written for another attachment*'
    }

    It '-WebhookData given as the JSON text PowerShell 7 runbooks receive gives the same record as the object' {
        $xml = '<data xmlns="http://example.org/form"><name>x</name><meta xmlns="http://openrosa.org/jr/xforms"><instanceID>wh-123</instanceID></meta></data>'
        $object = [pscustomobject]@{ WebhookName = 'cc'; RequestBody = $xml; RequestHeader = [pscustomobject]@{ 'Received-On' = '2026-01-02T03:04:05Z' } }
        $text = $object | ConvertTo-Json -Compress
        $fromText = ConvertFrom-CCForwardedPayload -WebhookData $text
        $fromObject = ConvertFrom-CCForwardedPayload -WebhookData $object
        $fromText.Id | Should -Be 'wh-123'
        $fromText.ReceivedOn | Should -Be $fromObject.ReceivedOn
        $fromText.ReceivedOn | Should -Not -BeNullOrEmpty
        $err = $null
        try { ConvertFrom-CCForwardedPayload -WebhookData 'not json' } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.InvalidArgument.WebhookData*'
    }

    It 'a lookup table whose tag cannot name an Excel sheet is a clear error naming the table, and no file is written' {
        $tag = 'a-lookup-table-tag-of-40-characters-long'
        Invoke-CCRestMethod -Method Post -Path 'v0.5/lookup_table/' -Body @{ tag = $tag; fields = @(@{ field_name = 'name' }) } | Out-Null
        $file = Join-Path ([IO.Path]::GetTempPath()) ("cc-long-" + [guid]::NewGuid() + '.xlsx')
        $err = $null
        try { Export-CCLookupTable -Table $tag -Path $file } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.InvalidArgument*'
        "$err" | Should -BeLike "*'$tag'*40 characters*Get-CCLookupTableItem*"
        Test-Path $file | Should -BeFalse
    }

    It '-Path that is a folder is an error naming -Path before anything is downloaded (<Name>)' -TestCases @(
        @{ Name = 'Save-CCExport'; Call = { param($d) Save-CCExport -ExportId 'e1' -Path $d } }
        @{ Name = 'Save-CCApplicationArchive'; Call = { param($d) Save-CCApplicationArchive -ApplicationId 'a1' -Path $d } }
        @{ Name = 'Export-CCLookupTable'; Call = { param($d) Export-CCLookupTable -Path $d } }
    ) {
        param($Name, $Call)
        $d = Join-Path ([IO.Path]::GetTempPath()) ("cc-folder-" + [guid]::NewGuid() + '.xlsx')
        New-Item -ItemType Directory $d | Out-Null
        $err = $null
        try { & $Call $d } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'CommCare.InvalidArgument.Path*'
        "$err" | Should -BeLike '*is a folder; give a file name in it*'
        @(Get-EmuRequests $url).Count | Should -Be 0
    }

    It '-Verbose says a retry is waiting while it waits, not after' {
        Invoke-Emu $url 'faults' -Body @{ script = @(@{ kind = '429-retry-after'; retryAfter = '4' }); pathContains = '/case/' } | Out-Null
        $ps = [powershell]::Create()
        $null = $ps.AddScript(@"
Import-Module '$ModulePsd1'
`$s = Connect-CCServer -Server '$url' -Domain demo -UserName $AdminUser -ApiKey '$AdminKey' -SkipValidation -RequestsPerSecond 0 -RequestsPerMinute 0 -RequestsPerHour 0 -MaxRetryWait 10 -PassThru
Get-CCCase -Session `$s -First 1 -Verbose
"@)
        $handle = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ([DateTime]::UtcNow -lt $deadline -and (Invoke-Emu $url 'faults' -Method GET).injected -lt 1) { Start-Sleep -Milliseconds 100 }
        Start-Sleep -Milliseconds 1500
        $ps.InvocationStateInfo.State | Should -Be 'Running'          # still inside the 4 s wait
        @($ps.Streams.Verbose | Where-Object { "$_" -like '*429*waiting 4*' }).Count | Should -Be 1
        $out = $ps.EndInvoke($handle)
        @($out).Count | Should -Be 1
        $ps.Dispose()
    }
}

Describe 'A missing worker is not "try again later"' {
    BeforeEach { Reset-Emu $url }

    It 'a 404 with HQ''s canned body says not found, without the advice to try again later' {
        Enable-CCMobileWorker -Id 0123456789abcdef0123456789abcdef -ErrorVariable ev -ErrorAction SilentlyContinue
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
        $ev[0].Exception.Message | Should -Match 'Not found \(404\)'
        $ev[0].Exception.Message | Should -Not -Match 'try again later'
    }
}
