/** What an SES template holds: the subject, HTML and text parts, each with {{fields}}. */
export interface EmailTemplateContent {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** The account's stored e-mail templates; the SES adapter is ../email-templates.ts. */
export interface EmailTemplates {
  /** The template's content, undefined when there is none of that name. */
  get(name: string): Promise<EmailTemplateContent | undefined>;
  create(name: string, content: EmailTemplateContent): Promise<void>;
  update(name: string, content: EmailTemplateContent): Promise<void>;
}
