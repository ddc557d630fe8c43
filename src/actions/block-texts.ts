/** The words of the 451 page, in each language it ships with. A rule may give its own title and text. */
export interface BlockPageTexts {
  readonly title: string;
  readonly text: string;
  /** Labels for the details under the text. */
  readonly address: string;
  readonly blockedBy: string;
  readonly reference: string;
}

export const BLOCK_PAGE_TEXTS: Readonly<Record<string, BlockPageTexts>> = Object.freeze({
  en: {
    title: "Unavailable for legal reasons",
    text: "This page cannot be shown in your region for legal reasons.",
    address: "Requested address",
    blockedBy: "Blocked by",
    reference: "Reference",
  },
  ru: {
    title: "Недоступно по юридическим причинам",
    text: "Эта страница не может быть показана в вашем регионе по юридическим причинам.",
    address: "Запрошенный адрес",
    blockedBy: "Кем заблокировано",
    reference: "Номер для справок",
  },
  uk: {
    title: "Недоступно з юридичних причин",
    text: "Цю сторінку не можна показати у вашому регіоні з юридичних причин.",
    address: "Запитана адреса",
    blockedBy: "Ким заблоковано",
    reference: "Номер для довідок",
  },
  be: {
    title: "Недаступна па юрыдычных прычынах",
    text: "Гэтую старонку нельга паказаць у вашым рэгіёне па юрыдычных прычынах.",
    address: "Запытаны адрас",
    blockedBy: "Кім заблакавана",
    reference: "Нумар для даведак",
  },
  de: {
    title: "Aus rechtlichen Gründen nicht verfügbar",
    text: "Diese Seite kann in Ihrer Region aus rechtlichen Gründen nicht angezeigt werden.",
    address: "Angeforderte Adresse",
    blockedBy: "Gesperrt durch",
    reference: "Referenz",
  },
  fr: {
    title: "Indisponible pour des raisons juridiques",
    text: "Cette page ne peut pas être affichée dans votre région pour des raisons juridiques.",
    address: "Adresse demandée",
    blockedBy: "Bloqué par",
    reference: "Référence",
  },
  es: {
    title: "No disponible por motivos legales",
    text: "Esta página no se puede mostrar en su región por motivos legales.",
    address: "Dirección solicitada",
    blockedBy: "Bloqueado por",
    reference: "Referencia",
  },
  it: {
    title: "Non disponibile per motivi legali",
    text: "Questa pagina non può essere mostrata nella tua regione per motivi legali.",
    address: "Indirizzo richiesto",
    blockedBy: "Bloccato da",
    reference: "Riferimento",
  },
  pt: {
    title: "Indisponível por motivos legais",
    text: "Esta página não pode ser exibida na sua região por motivos legais.",
    address: "Endereço solicitado",
    blockedBy: "Bloqueado por",
    reference: "Referência",
  },
  pl: {
    title: "Niedostępne z przyczyn prawnych",
    text: "Tej strony nie można wyświetlić w Twoim regionie z przyczyn prawnych.",
    address: "Żądany adres",
    blockedBy: "Zablokowane przez",
    reference: "Numer referencyjny",
  },
  nl: {
    title: "Niet beschikbaar om juridische redenen",
    text: "Deze pagina kan om juridische redenen niet worden getoond in uw regio.",
    address: "Gevraagd adres",
    blockedBy: "Geblokkeerd door",
    reference: "Referentie",
  },
  tr: {
    title: "Yasal nedenlerle kullanılamıyor",
    text: "Bu sayfa yasal nedenlerle bölgenizde gösterilemiyor.",
    address: "İstenen adres",
    blockedBy: "Engelleyen",
    reference: "Referans",
  },
  ar: {
    title: "غير متاح لأسباب قانونية",
    text: "لا يمكن عرض هذه الصفحة في منطقتك لأسباب قانونية.",
    address: "العنوان المطلوب",
    blockedBy: "محجوب من قبل",
    reference: "المرجع",
  },
  he: {
    title: "לא זמין מסיבות משפטיות",
    text: "לא ניתן להציג דף זה באזור שלך מסיבות משפטיות.",
    address: "הכתובת המבוקשת",
    blockedBy: "נחסם על ידי",
    reference: "מספר אסמכתה",
  },
  fa: {
    title: "به دلایل قانونی در دسترس نیست",
    text: "این صفحه به دلایل قانونی در منطقه شما قابل نمایش نیست.",
    address: "نشانی درخواست‌شده",
    blockedBy: "مسدود شده توسط",
    reference: "شناسه پیگیری",
  },
  zh: {
    title: "因法律原因无法访问",
    text: "由于法律原因，此页面无法在您所在的地区显示。",
    address: "请求的地址",
    blockedBy: "屏蔽方",
    reference: "参考编号",
  },
  ja: {
    title: "法的な理由により利用できません",
    text: "法的な理由により、このページはお住まいの地域では表示できません。",
    address: "リクエストされたアドレス",
    blockedBy: "ブロック元",
    reference: "参照番号",
  },
  ko: {
    title: "법적 사유로 이용할 수 없음",
    text: "법적 사유로 이 페이지를 귀하의 지역에서 표시할 수 없습니다.",
    address: "요청한 주소",
    blockedBy: "차단 주체",
    reference: "참조 번호",
  },
});

/** The languages the page ships in, English first (the last resort). */
export const BLOCK_PAGE_LANGUAGES: readonly string[] = Object.freeze(Object.keys(BLOCK_PAGE_TEXTS));
