# The emulator's opt-in survey forms (--survey-forms), read through the module as the flat-table exporter reads them:
# counts by xmlns and app, HQ's object-or-array repeats, the builds whose questions differ, multi-select text, and
# the answers a spreadsheet would take for formulas.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePsd1 -Force
    $script:survey = 'http://openrosa.org/formdesigner/SURVEY'
    $script:app3 = '5a3f0c9e8d7b4a6c9e1f2d3b4c5a6e7f'
    $script:oldBuild = '7c1e9a5b3d2f4e6a8b0c1d2e3f4a5b61'
    $script:newBuild = '7c1e9a5b3d2f4e6a8b0c1d2e3f4a5b62'
    $script:newQuestions = @('/data/respondent/education', '/data/members/health/muac_cm')
    # 1,300 survey forms: 1,000 from the old build, 300 from the new one; 250 of them share one indexed_on.
    $script:emu = Start-TestEmulator @('--cases', '50', '--forms', '100', '--survey-forms', '1300', '--same-timestamp-survey-forms', '250')
    $script:url = $emu.Url
    Connect-TestServer $url | Out-Null
    $script:forms = @(Get-CCForm -Xmlns $survey -PageSize 100 | Sort-Object IndexedOn)
    $script:others = @(Get-CCForm -IncludeArchived | Where-Object Xmlns -ne $survey)

    # Every entry of a repeat as HQ sends it: absent (no entry), one object, or an array of several.
    function Get-Entries($Value) {
        if ($null -eq $Value) { return , @() }
        if ($Value -is [Collections.IDictionary]) { return , @($Value) }
        , @($Value)
    }
}
AfterAll { Stop-TestEmulator $emu }

Describe 'Survey forms in the emulator' {
    It 'lists every survey form once, by xmlns and by app, next to the ordinary forms' {
        $forms.Count | Should -Be 1300
        ($forms.Id | Sort-Object -Unique).Count | Should -Be 1300
        @($forms | Where-Object AppId -ne $app3).Count | Should -Be 0
        @(Get-CCForm -AppId $app3).Count | Should -Be 1300
        $others.Count | Should -Be 100
        @($forms | Where-Object { $_.Name -ne 'Household Survey' }).Count | Should -Be 0
        $ds = Invoke-Emu $url 'dataset' -Method GET
        $ds.surveyForms | Should -Be 1300
        $ds.sameTimestampSurveyForms | Should -Be 250
        $ds.domains.demo.sharedSurveyFormIndexedOn | Should -Not -BeNullOrEmpty
        ($forms | Group-Object { $_.IndexedOn.Ticks } | Sort-Object Count -Descending)[0].Count | Should -Be 250
    }

    It 'sends one repeat entry as an object and several as an array, in members and in their nested visits' {
        $shapes = @{ MembersObject = 0; MembersArray = 0; MembersNone = 0; VisitsObject = 0; VisitsArray = 0; VisitsNone = 0 }
        $memberRows = 0
        $visitRows = 0
        $bad = [Collections.Generic.List[string]]::new()   # one Should at the end: Should per entry is slow
        foreach ($f in $forms) {
            $m = $f.Form['members']
            $entries = Get-Entries $m
            if ([int]$f.Form['total_members'] -ne $entries.Count) { $bad.Add("$($f.Id) total_members") }
            if ($null -eq $m) { $shapes.MembersNone++ }
            elseif ($m -is [Collections.IDictionary]) { $shapes.MembersObject++ }
            elseif ($m.Count -gt 1) { $shapes.MembersArray++ }
            else { $bad.Add("$($f.Id) members array of $($m.Count)") }
            foreach ($e in $entries) {
                $memberRows++
                if ($e['health'] -isnot [Collections.IDictionary] -or -not $e['member_name']) { $bad.Add("$($f.Id) member") }
                $v = $e['visits']
                if ($null -eq $v) { $shapes.VisitsNone++ }
                elseif ($v -is [Collections.IDictionary]) { $shapes.VisitsObject++ }
                elseif ($v.Count -gt 1) { $shapes.VisitsArray++ }
                else { $bad.Add("$($f.Id) visits array of $($v.Count)") }
                $visitRows += (Get-Entries $v).Count
            }
        }
        $bad | Should -BeNullOrEmpty
        foreach ($k in $shapes.Keys) { $shapes[$k] | Should -BeGreaterThan 0 -Because "$k occurs" }
        $visitRows | Should -BeGreaterThan $memberRows
    }

    It 'has the first 1,000 forms from the old build without its two missing questions, and the rest with them' {
        $old = $forms[0..999]
        $new = $forms[1000..1299]
        @($old | Where-Object BuildId -ne $oldBuild).Count | Should -Be 0
        @($new | Where-Object BuildId -ne $newBuild).Count | Should -Be 0
        ($old.Version | Sort-Object -Unique) | Should -Be '2'
        ($new.Version | Sort-Object -Unique) | Should -Be '3'
        @($old | Where-Object { $_.Form['respondent'].ContainsKey('education') }).Count | Should -Be 0
        @($new | Where-Object { -not $_.Form['respondent'].ContainsKey('education') }).Count | Should -Be 0
        $oldMembers = @(foreach ($f in $old) { foreach ($e in (Get-Entries $f.Form['members'])) { $e } })
        $newMembers = @(foreach ($f in $new) { foreach ($e in (Get-Entries $f.Form['members'])) { $e } })
        $oldMembers.Count | Should -BeGreaterThan 0
        @($oldMembers | Where-Object { $_['health'].ContainsKey('muac_cm') }).Count | Should -Be 0
        @($newMembers | Where-Object { -not $_['health'].ContainsKey('muac_cm') }).Count | Should -Be 0
    }

    It 'describes both builds: the old one lacks the two questions, the new one and the working copy have them' {
        $app = Get-CCApplication -Id $app3
        $app.Versions.Id | Should -Be @($oldBuild, $newBuild)
        $app.Versions.Version | Should -Be @(2, 3)
        (Get-CCApplication).Id | Should -Contain $app3
        $paths = @{}
        foreach ($id in $app3, $oldBuild, $newBuild) {
            $f = (Get-CCApplication -Id $id).Modules[0].Forms[0]
            $f.Xmlns | Should -Be $survey
            $paths[$id] = @($f.Questions.Value)
        }
        foreach ($q in $newQuestions) {
            $paths[$oldBuild] | Should -Not -Contain $q
            $paths[$newBuild] | Should -Contain $q
        }
        $paths[$app3] | Should -Be $paths[$newBuild]
        # the old build is the new one without the two, in the same (form designer's) order
        $paths[$oldBuild] | Should -Be @($paths[$newBuild] | Where-Object { $_ -notin $newQuestions })
        $paths[$newBuild][0..3] | Should -Be @('/data/survey_date', '/data/consent', '/data/respondent', '/data/respondent/resp_name')
        $paths[$newBuild][-1] | Should -Be '/data/total_members'
        @($paths[$newBuild] | Where-Object { $_ -notmatch '^/data/members' -and $_ -notin '/data/respondent', '/data/respondent/contact' }).Count | Should -BeGreaterOrEqual 20
    }

    It 'gives groups and repeats the get_questions keys: type, tag, is_group, innermost group and repeat' {
        $q = @{}
        foreach ($x in (Get-CCApplication -Id $newBuild).Modules[0].Forms[0].Questions) { $q[$x.Value] = $x }
        $q['/data/members'].Type | Should -Be 'Repeat'
        $q['/data/members'].Tag | Should -Be 'repeat'
        $q['/data/members'].AdditionalFields['is_group'] | Should -BeTrue
        $q['/data/members/visits'].Type | Should -Be 'Repeat'
        $q['/data/members/visits'].Repeat | Should -Be '/data/members'
        $q['/data/members/visits/visit_date'].Repeat | Should -Be '/data/members/visits'
        $q['/data/members/visits/visit_date'].Group | Should -Be '/data/members/visits'
        $q['/data/members/health'].Type | Should -Be 'Group'
        $q['/data/members/health/conditions'].Group | Should -Be '/data/members/health'
        $q['/data/members/health/conditions'].Repeat | Should -Be '/data/members'
        $q['/data/respondent/contact'].Group | Should -Be '/data/respondent'
        $q['/data/respondent/contact/village'].Group | Should -Be '/data/respondent/contact'
        $q['/data/respondent/contact/village'].Repeat | Should -BeNullOrEmpty
        $q['/data/respondent'].AdditionalFields['is_group'] | Should -BeTrue
        $q['/data/survey_date'].AdditionalFields['is_group'] | Should -BeFalse
        $q['/data/symptoms'].Type | Should -Be 'MSelect'
        $q['/data/symptoms'].Tag | Should -Be 'select'
        $q['/data/symptoms'].Options.Value | Should -Be @('fever', 'cough', 'diarrhoea', 'rash', 'headache')
    }

    It 'sends multi-select answers as space-separated values, and empty answers as ""' {
        $symptoms = @($forms | ForEach-Object { $_.Form['symptoms'] })
        @($symptoms | Where-Object { $_ -cnotmatch '^((fever|cough|diarrhoea|rash|headache)( (fever|cough|diarrhoea|rash|headache))*)?$' }).Count | Should -Be 0
        @($symptoms | Where-Object { $_ -like '* *' }).Count | Should -BeGreaterThan 0
        @($symptoms | Where-Object { $_ -eq '' }).Count | Should -BeGreaterThan 0
        @($forms | Where-Object { $_.Form['respondent']['resp_phone'] -eq '' }).Count | Should -BeGreaterThan 0
        @($forms | Where-Object { $_.Form['respondent']['contact']['landmark'] -eq '' }).Count | Should -BeGreaterThan 0
    }

    It 'carries =HYPERLINK( in every 50th form, other formula-like notes, and legacy_code in 1% of the newer forms only' {
        $notes = @($forms | ForEach-Object { $_.Form['interviewer_note'] })
        @($notes | Where-Object { $_ -clike '=HYPERLINK(*' }).Count | Should -Be 26
        $notes[0] | Should -BeExactly '=HYPERLINK("http://example.org/x","click")'
        foreach ($p in '+', '-', '@') { @($notes | Where-Object { $_.StartsWith($p) }).Count | Should -BeGreaterThan 0 }
        $legacy = @($forms | Where-Object { $_.Form.ContainsKey('legacy_code') })
        $legacy.Count | Should -Be 3
        @($legacy | Where-Object BuildId -ne $newBuild).Count | Should -Be 0
        $all = foreach ($id in $app3, $oldBuild, $newBuild) { (Get-CCApplication -Id $id).Modules[0].Forms[0].Questions.Value }
        $all | Should -Not -Contain '/data/legacy_code'
    }

    It 'is deterministic for a seed, and leaves the ordinary forms and apps as they are without the option' {
        # The raw page bytes, so that a change in any field or in the order shows.
        function Get-Pages([string[]] $Xmlns) {
            $h = @{ Authorization = "ApiKey ${AdminUser}:$AdminKey" }
            foreach ($x in $Xmlns) {
                foreach ($offset in 0, 1000) {
                    (Invoke-WebRequest -Uri "$url/a/demo/api/v0.5/form/?limit=1000&offset=$offset&order_by=indexed_on&include_archived=true&xmlns=$x" -Headers $h).Content
                }
            }
        }
        $kinds = 'REGISTER', 'FOLLOWUP', 'CLOSE' | ForEach-Object { "http://openrosa.org/formdesigner/$_" }
        $before = Get-Pages $survey
        $ordinary = Get-Pages $kinds
        Invoke-Emu $url 'dataset' -Body @{ cases = 50; forms = 100; surveyForms = 1300; sameTimestampSurveyForms = 250 } | Out-Null
        Get-Pages $survey | Should -BeExactly $before
        Invoke-Emu $url 'dataset' -Body @{ cases = 50; forms = 100 } | Out-Null
        try {
            Get-Pages $kinds | Should -BeExactly $ordinary
            $plain = @(Get-CCForm -IncludeArchived)
            $plain.Count | Should -Be 100
            ($plain.Id | Sort-Object) | Should -Be ($others.Id | Sort-Object)
            (Get-CCApplication).Id | Should -Not -Contain $app3
            @(Get-CCForm -Xmlns $survey).Count | Should -Be 0
        }
        finally { Invoke-Emu $url 'dataset' -Body @{ cases = 50; forms = 100; surveyForms = 1300; sameTimestampSurveyForms = 250 } | Out-Null }
    }
}
