using System;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Where form and case attachments download from (docs/commcare-api.md#attachments); DownloadsApi streams them to files.</summary>
    public sealed class AttachmentsApi
    {
        private readonly CommCareClient _c;
        internal AttachmentsApi(CommCareClient c) => _c = c;

        public Uri FormAttachmentUri(string formId, string name)
            => _c.DomainApiPath("form/attachment/" + QueryString.Segment(formId) + "/" + QueryString.Segment(name));

        public Uri CaseAttachmentUri(string caseId, string name)
            => _c.DomainApiPath("case/attachment/" + QueryString.Segment(caseId) + "/" + QueryString.Segment(name));
    }
}
