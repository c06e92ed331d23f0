BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:emu = Start-TestEmulator
    $script:url = $emu.Url
    $script:all = Get-RawAll $url 'form'
    $script:allWithArchived = Get-RawAll $url 'form' -Query 'include_archived=true'
    Connect-TestServer $url | Out-Null
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Get-CCForm' {
    BeforeEach { Reset-Emu $url }

    It 'returns every non-archived form once, typed, with metadata and the body as nested objects' {
        $forms = @(Get-CCForm)
        $forms.Count | Should -Be $all.Count
        ($forms.Id | Sort-Object -Unique).Count | Should -Be $all.Count
        $f = $forms[0]
        $f | Should -BeOfType ([CommCare.Models.CCForm])
        $raw = $all | Where-Object id -eq $f.Id
        $f.Xmlns | Should -Be $raw.form.'@xmlns'
        $f.Name | Should -Be $raw.form.'@name'
        $f.Metadata.UserName | Should -Be $raw.metadata.username
        $f.Metadata.InstanceId | Should -Be $raw.metadata.instanceID
        $f.Form.meta.instanceID | Should -Be $raw.form.meta.instanceID
        $f.Attachments['form.xml'].ContentType | Should -Be 'text/xml'
        ($forms | Where-Object Archived).Count | Should -Be 0
    }

    It 'filters by xmlns (exact) and app id' {
        $xmlns = $all[0].form.'@xmlns'
        $byXmlns = @(Get-CCForm -Xmlns $xmlns)
        $byXmlns.Count | Should -Be @($all | Where-Object { $_.form.'@xmlns' -ceq $xmlns }).Count
        @(Get-CCForm -Xmlns $xmlns.ToUpperInvariant()).Count | Should -Be 0
        $app = $all[0].app_id
        @(Get-CCForm -AppId $app).Count | Should -Be @($all | Where-Object app_id -eq $app).Count
    }

    It 'includes archived forms only with -IncludeArchived' {
        $with = @(Get-CCForm -IncludeArchived)
        $with.Count | Should -Be $allWithArchived.Count
        ($with | Where-Object Archived).Count | Should -BeGreaterThan 0
        (Get-EmuRequests $url)[0].query | Should -BeLike '*include_archived=true*'
    }

    It 'finds the forms that touched a case, and embeds cases with -IncludeCases' {
        $caseId = $all[0].form.case.'@case_id'
        $forms = @(Get-CCForm -CaseId $caseId -IncludeCases)
        $forms.Count | Should -BeGreaterThan 0
        $forms[0].Cases.Id | Should -Contain $caseId
    }

    It 'gets forms by id; a missing one is a non-terminating error' {
        $got = @($all[0].id, 'missing-form' | Get-CCForm -ErrorVariable ev -ErrorAction SilentlyContinue)
        $got.Id | Should -Be $all[0].id
        $ev[0].FullyQualifiedErrorId | Should -BeLike 'CommCare.NotFound*'
    }

    It 'pages forms by indexed_on windows, not offsets, and -IndexedSince is the lower bound' {
        $sorted = $all | Sort-Object { [datetime]$_.indexed_on }
        $since = [datetime]$sorted[[int]($sorted.Count / 2)].indexed_on
        $forms = @(Get-CCForm -IndexedSince $since.ToUniversalTime() -PageSize 7)
        $forms.Count | Should -Be @($all | Where-Object { [datetime]$_.indexed_on -ge $since }).Count
        $req = @(Get-EmuRequests $url)
        $req.Count | Should -BeGreaterThan 2
        $req | ForEach-Object { $_.query | Should -BeLike '*order_by=indexed_on*' ; $_.query | Should -Not -BeLike '*offset=*' }
    }
}
