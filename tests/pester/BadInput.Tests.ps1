# The bad-input corpus: each input gets a clear error that names the parameter (or the field) to fix,
# and no request reaches the server.
BeforeDiscovery {
    $script:cases = @(
        @{ Name = 'plain http to a remote server'; Expect = '*https://*'; Script = { Connect-CCServer -Server 'http://example.com' -Domain demo -UserName a@b.c -ApiKey (ConvertTo-SecureString k -AsPlainText -Force) -SkipValidation } }
        @{ Name = 'a server that is not a URL'; Expect = '*ftp://x*'; Script = { Connect-CCServer -Server 'ftp://x' -Domain demo -UserName a@b.c -ApiKey (ConvertTo-SecureString k -AsPlainText -Force) -SkipValidation } }
        @{ Name = 'a server URL with a query'; Expect = '*query*'; Script = { Connect-CCServer -Server 'https://x.org/?a=1' -Domain demo -UserName a@b.c -ApiKey (ConvertTo-SecureString k -AsPlainText -Force) -SkipValidation } }
        @{ Name = 'an empty domain'; Expect = '*Domain*'; Script = { Connect-CCServer -Server www -Domain '' -UserName a@b.c -ApiKey (ConvertTo-SecureString k -AsPlainText -Force) -SkipValidation } }
        @{ Name = 'a negative rate'; Expect = '*RequestsPerSecond*'; Script = { Set-CCSessionOption -RequestsPerSecond -1 } }
        @{ Name = 'case page size 0'; Expect = '*PageSize*'; Script = { Get-CCCase -PageSize 0 } }
        @{ Name = 'case page size over the maximum'; Expect = '*PageSize*'; Script = { Get-CCCase -PageSize 5001 } }
        @{ Name = 'form page size over the maximum'; Expect = '*PageSize*'; Script = { Get-CCForm -PageSize 1001 } }
        @{ Name = 'an unknown sort order'; Expect = '*OrderBy*'; Script = { Get-CCCase -OrderBy bogus } }
        @{ Name = 'an empty date range'; Expect = '*range is empty*'; Script = { Get-CCCase -IndexedSince '2025-01-02' -IndexedUntil '2025-01-01' } }
        @{ Name = 'a date that is not a date'; Expect = '*IndexedSince*'; Script = { Get-CCForm -IndexedSince 'last tuesday-ish' } }
        @{ Name = 'an empty property filter name'; Expect = '*Property*'; Script = { Get-CCCase -Property @{ '' = 'x' } } }
        @{ Name = 'a reserved name as a property filter'; Expect = "*'limit'*"; Script = { Get-CCCase -Property @{ limit = 5 } } }
        @{ Name = 'a null property filter'; Expect = '*Property*'; Script = { Get-CCCase -Property @{ a = $null } } }
        @{ Name = 'several values in a v1 property filter'; Expect = '*Property*'; Script = { Get-CCCase -Property @{ a = 1, 2 } } }
        @{ Name = 'an empty case id'; Expect = '*Id*'; Script = { Get-CCCase -Id '' } }
        @{ Name = 'a path-traversal case id'; Expect = '*-Id*'; Script = { Get-CCCase -Id '..' } }
        @{ Name = 'an API version that does not exist'; Expect = '*ApiVersion*'; Script = { Get-CCCase -ApiVersion 3 } }
        @{ Name = 'a v1 parameter with the v2 API'; Expect = '*-OrderBy*'; Script = { Get-CCCase -ApiVersion 2 -OrderBy indexed_on } }
        @{ Name = 'a v2 parameter with the v1 API'; Expect = '*-Query*'; Script = { Get-CCCase -Query 'age > 4' } }
        @{ Name = 'a bad property name in a v2 filter'; Expect = "*'bad name'*"; Script = { Get-CCCase -ApiVersion 2 -Property @{ 'bad name' = 'x' } } }
        @{ Name = 'an index filter without a case id'; Expect = '*Index*'; Script = { Get-CCCase -ApiVersion 2 -Index @{ parent = '' } } }
        @{ Name = 'a checkpoint with a sort order'; Expect = '*-OrderBy*'; Script = { Get-CCForm -OrderBy received_on -Checkpoint (Join-Path ([IO.Path]::GetTempPath()) 'bad.cp') } }
        @{ Name = 'a checkpoint with the v2 API'; Expect = '*-Checkpoint*'; Script = { Get-CCCase -ApiVersion 2 -Checkpoint (Join-Path ([IO.Path]::GetTempPath()) 'bad2.cp') } }
        @{ Name = 'a new case without an owner'; Expect = '*-OwnerId*'; Script = { New-CCCase -Name x -CaseType t } }
        @{ Name = 'a new case with an empty name'; Expect = '*-Name*'; Script = { New-CCCase -Name '' -CaseType t -OwnerId o } }
        @{ Name = 'a new case with a blank type'; Expect = '*-CaseType*'; Script = { New-CCCase -Name x -CaseType '  ' -OwnerId o } }
        @{ Name = 'a case name over 255 characters'; Expect = '*-Name*255*'; Script = { New-CCCase -Name ('n' * 300) -CaseType t -OwnerId o } }
        @{ Name = 'an external id over 255 characters'; Expect = '*-ExternalId*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -ExternalId ('e' * 300) } }
        @{ Name = 'a property name with a space'; Expect = "*-Property*'bad name'*"; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Property @{ 'bad name' = 1 } } }
        @{ Name = 'a property name starting with a digit'; Expect = "*-Property*'1st'*"; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Property @{ '1st' = 1 } } }
        @{ Name = 'a property that has its own parameter'; Expect = "*-Property*case_name*-Name*"; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Property @{ case_name = 'y' } } }
        @{ Name = 'a null property value'; Expect = '*-Property*null*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Property @{ a = $null } } }
        @{ Name = 'a control character in a property value'; Expect = '*-Property*control character*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Property @{ a = "x$([char]1)y" } } }
        @{ Name = 'an injection attempt as a property name'; Expect = '*-Property*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Property @{ '"><script>' = 1 } } }
        @{ Name = 'an index given as a bare string'; Expect = '*-Index*case_type*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Index @{ parent = 'abc' } } }
        @{ Name = 'an index without a case type'; Expect = '*-Index*case type*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Index @{ parent = @{ case_id = 'a' } } } }
        @{ Name = 'an index with an unknown relationship'; Expect = '*-Index*sibling*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Index @{ parent = @{ case_id = 'a'; case_type = 't'; relationship = 'sibling' } } } }
        @{ Name = 'an index naming its case two ways'; Expect = '*-Index*one of*'; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Index @{ parent = @{ case_id = 'a'; external_id = 'b'; case_type = 't' } } } }
        @{ Name = 'an index with an unknown key'; Expect = "*-Index*'foo'*"; Script = { New-CCCase -Name x -CaseType t -OwnerId o -Index @{ parent = @{ foo = 'a' } } } }
        @{ Name = 'an update with an empty case id'; Expect = '*-CaseId*'; Script = { Set-CCCase -CaseId '' -Property @{ a = '1' } } }
        @{ Name = 'a close with an empty case id'; Expect = '*CaseId*'; Script = { Close-CCCase -CaseId ' ' } }
        @{ Name = 'a case form without a case id'; Expect = '*-CaseId*'; Script = { New-CCCaseUpdateForm -CaseId '' } }
        @{ Name = 'a case form creating a case without an owner'; Expect = '*-OwnerId*'; Script = { New-CCCaseUpdateForm -Create -CaseType t -Name n } }
        @{ Name = 'a case form index by external id'; Expect = '*-Index*case id*'; Script = { New-CCCaseUpdateForm -Create -CaseType t -Name n -OwnerId o -Index @{ parent = @{ external_id = 'x'; case_type = 't' } } } }
        @{ Name = 'a form file that does not exist'; Expect = '*-Path*does not exist*'; Script = { Send-CCFormSubmission -Path (Join-Path ([IO.Path]::GetTempPath()) 'no-such-form.xml') } }
        @{ Name = 'an empty form file'; Expect = '*-Path*empty*'; Script = { $f = New-TemporaryFile; Send-CCFormSubmission -Path $f.FullName } }
        @{ Name = 'a folder as a form'; Expect = '*-Path*folder*'; Script = { Send-CCFormSubmission -Path ([IO.Path]::GetTempPath()) } }
        @{ Name = 'malformed form XML'; Expect = '*-Xml*not well-formed*'; Script = { Send-CCFormSubmission -Xml '<data xmlns="x:y"><a></data>' } }
        @{ Name = 'form XML without a namespace'; Expect = '*-Xml*xmlns*'; Script = { Send-CCFormSubmission -Xml '<data><a>1</a></data>' } }
        @{ Name = 'form XML with an entity (XXE)'; Expect = '*-Xml*not well-formed*'; Script = { Send-CCFormSubmission -Xml '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><data xmlns="x:y">&e;</data>' } }
        @{ Name = 'a number as form XML'; Expect = '*-Xml*'; Script = { Send-CCFormSubmission -Xml 42 } }
        @{ Name = 'form XML over 10 MB'; Expect = '*-Xml*10 MB*'; Script = { Send-CCFormSubmission -Xml ('<data xmlns="x:y">' + ('a' * 11MB) + '</data>') } }
        @{ Name = 'an attachment that does not exist'; Expect = '*-Attachment*does not exist*'; Script = { Send-CCFormSubmission -Xml '<data xmlns="x:y"><n0:meta xmlns:n0="http://openrosa.org/jr/xforms"><n0:instanceID>i-1</n0:instanceID></n0:meta></data>' -Attachment (Join-Path ([IO.Path]::GetTempPath()) 'no-such.jpg') } }
        @{ Name = 'a CSV file given to the case importer'; Expect = '*-Path*Import-Csv*'; Script = { $f = Join-Path ([IO.Path]::GetTempPath()) 'cases-bad.csv'; Set-Content $f 'name'; Import-CCCaseData -Path $f -CaseType t } }
        @{ Name = 'a workbook that does not exist'; Expect = '*-Path*does not exist*'; Script = { Import-CCCaseData -Path (Join-Path ([IO.Path]::GetTempPath()) 'nope.xlsx') -CaseType t } }
        @{ Name = 'an empty workbook file'; Expect = '*-Path*empty*'; Script = { $f = Join-Path ([IO.Path]::GetTempPath()) 'empty-cases.xlsx'; Set-Content $f -Value $null -NoNewline; Import-CCCaseData -Path $f -CaseType t } }
        @{ Name = 'a reserved column in imported rows'; Expect = "*'type'*reserved*"; Script = { [pscustomobject]@{ name = 'a'; type = 'b' } | Import-CCCaseData -CaseType t } }
        @{ Name = 'a column starting with a digit'; Expect = "*'1abc'*"; Script = { [pscustomobject]@{ name = 'a'; '1abc' = 'b' } | Import-CCCaseData -CaseType t } }
        @{ Name = 'a column with a space'; Expect = "*'bad col'*"; Script = { [pscustomobject]@{ name = 'a'; 'bad col' = 'b' } | Import-CCCaseData -CaseType t } }
        @{ Name = 'more than 300 columns'; Expect = '*300*'; Script = { $h = [ordered]@{}; 1..301 | ForEach-Object { $h["c$_"] = 'x' }; [pscustomobject]$h | Import-CCCaseData -CaseType t } }
        @{ Name = 'an unknown search field'; Expect = '*SearchField*'; Script = { [pscustomobject]@{ name = 'a' } | Import-CCCaseData -CaseType t -SearchField foo } }
        @{ Name = 'a search column that is not in the rows'; Expect = "*-SearchColumn*'pid'*"; Script = { [pscustomobject]@{ name = 'a' } | Import-CCCaseData -CaseType t -SearchColumn pid } }
        @{ Name = 'several attachments to one file name'; Expect = '*-Path*folder*'; Script = { $f = New-TemporaryFile; Save-CCFormAttachment -FormId f1 -Name a.jpg, b.jpg -Path $f.FullName } }
        @{ Name = 'an attachment over an existing file'; Expect = '*-Path*-Force*'; Script = { $f = New-TemporaryFile; Save-CCCaseAttachment -CaseId c1 -Name a.jpg -Path $f.FullName } }
        @{ Name = 'a mobile worker name with spaces'; Expect = '*bad name*'; Script = { New-CCMobileWorker -UserName 'bad name!' -Password 'Pw-123456' } }
        @{ Name = 'a mobile worker without a password'; Expect = '*no password*-GeneratePassword*'; Script = { New-CCMobileWorker -UserName okname1 } }
        @{ Name = 'an empty REST path'; Expect = '*-Path*'; Script = { Invoke-CCRestMethod -Path ' ' } }
        @{ Name = 'a REST call to another server'; Expect = '*127.0.0.1*'; Script = { Invoke-CCRestMethod -Path 'https://evil.example.com/a/demo/api/v0.5/case/' } }
    )
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $script:emu = Start-TestEnvironment
    $script:url = $emu.Url
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Bad input' {
    BeforeEach { Reset-Emu $url }

    It '<Name>: a clear error, nothing sent' -TestCases $cases {
        param($Name, $Expect, $Script)
        $errors = @(try { & $Script 2>&1 } catch { $_ }) | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }
        $errors.Count | Should -BeGreaterThan 0 -Because "'$Name' must be refused"
        ($errors | ForEach-Object { "$_" }) -join "`n" | Should -BeLike $Expect
        Start-Sleep -Milliseconds 50
        @(Get-EmuRequests $url).Count | Should -Be 0 -Because 'the client can tell this input is wrong without asking the server'
    }

    It 'has at least 60 inputs' { @($cases).Count | Should -BeGreaterOrEqual 60 }

    It 'ids and filter values are URL-encoded: an injection attempt cannot change the path or add parameters' {
        $null = Get-CCCase -Id 'abc?limit=1&owner_id=x#frag' -ErrorAction SilentlyContinue
        $null = @(Get-CCCase -CaseType 'patient&limit=1' -Property @{ district = 'a&b=c' })
        $log = @(Get-EmuRequests $url)
        $log[0].path | Should -BeLike '*abc%3Flimit%3D1%26owner_id%3Dx%23frag*'
        $log[0].query | Should -Not -BeLike '*limit=1*'
        $log[1].query | Should -BeLike '*type.exact=patient%26limit%3D1*'
        $log[1].query | Should -BeLike '*district=a%26b%3Dc*'
    }
}
