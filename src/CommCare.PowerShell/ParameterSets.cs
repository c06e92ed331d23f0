namespace CommCare.PowerShell
{
    /// <summary>Parameter-set names, shared by the cmdlets' attributes and their ParameterSetName checks, so a renamed
    /// set cannot leave a check behind. The names show in Get-Help and in scripts' splatting errors: keep them stable.</summary>
    internal static class ParameterSets
    {
        public const string AccessToken = "AccessToken";
        public const string ApiKey = "ApiKey";
        public const string Body = "Body";
        public const string Create = "Create";
        public const string Credential = "Credential";
        public const string ExternalId = "ExternalId";
        public const string Form = "Form";
        public const string Id = "Id";
        public const string Latest = "Latest";
        public const string List = "List";
        public const string Password = "Password";
        public const string Path = "Path";
        public const string Rows = "Rows";
        public const string Update = "Update";
        public const string UserName = "UserName";
        public const string Version = "Version";
        public const string Webhook = "Webhook";
        public const string Xml = "Xml";
    }
}
