// The report's own sentence on which key signs what: the JSON with the Ed25519 service key,
// the PDF with the X.509 document-signing certificate (PAdES, time-stamped). It goes into the
// signed JSON's `statement`, so the PDF prints it too.

export interface SigningFacts {
  /** kid of the Ed25519 key that signs the JSON, and where the key set is published. */
  kid: string;
  keysUrl: string;
  /** The PDF's signing certificate, or null when this service does not sign PDFs. */
  pdf: { subject: string; sha256: string; caUrl: string } | null;
}

export function signingStatement(f: SigningFacts, language: "en" | "zh-CN" = "en"): string {
  if (language === "zh-CN") {
    const json = `本报告的 JSON 文件由本服务的 Ed25519 密钥（kid ${f.kid}）签名，公钥发布于 ${f.keysUrl}。`;
    return f.pdf === null
      ? `${json}本服务未配置 X.509 证书，PDF 文件未加 PDF 签名。`
      : `${json}PDF 文件另由本服务的 X.509 文档签名证书（${f.pdf.subject}，SHA-256 指纹 ${f.pdf.sha256}）以 PDF 签名（PAdES，附 RFC 3161 时间戳）签署，覆盖整个文件；其 CA 证书发布于 ${f.pdf.caUrl}。在 PDF 阅读器的签名面板中可查看，文件的任何改动都会使该签名失效。`;
  }
  const json = `The JSON form of this report is signed with the service's Ed25519 key (kid ${f.kid}), published at ${f.keysUrl}.`;
  return f.pdf === null
    ? `${json} This service has no X.509 certificate configured: its PDFs carry no PDF signature.`
    : `${json} The PDF form is signed separately, over the whole file, with the service's X.509 document-signing certificate (${f.pdf.subject}, SHA-256 fingerprint ${f.pdf.sha256}) as a PDF signature (PAdES, with an RFC 3161 time-stamp); its CA certificate is published at ${f.pdf.caUrl}. A PDF reader shows it in its signature panel; any change to the file makes it invalid.`;
}
