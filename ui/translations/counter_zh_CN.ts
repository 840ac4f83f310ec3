<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>AcknowledgePage</name>
        <message>
            <location filename="../counter/acknowledge_page.py" line="68" />
            <source>Acknowledged</source>
            <translation>已确认</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="68" />
            <source>To acknowledge</source>
            <translation>待确认</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="90" />
            <source>Acknowledging…</source>
            <translation>正在确认…</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="100" />
            <source>Syncing with the peers…</source>
            <translation>正在与对等节点同步…</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="111" />
            <source>Charity receipts</source>
            <translation>慈善款确认</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="112" />
            <source>Charity money approved for this agency. When it has arrived, select it and acknowledge it: the donors' traces then show that it reached us.</source>
            <translation>以下是慈善组织已批准拨付给本机构的款项。款项到账后，选中并确认收到：捐赠人查询时即可看到款项已到达。</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="114" />
            <source>Charity</source>
            <translation>慈善组织</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="114" />
            <source>Request</source>
            <translation>申请</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="114" />
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="115" />
            <source>Purpose</source>
            <translation>用途</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="115" />
            <source>Approved by</source>
            <translation>批准人</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="115" />
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="116" />
            <source>Nothing approved for this agency yet. New approvals arrive with the next sync.</source>
            <translation>暂无拨付给本机构的款项。新的批准会在下次同步时到达。</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="118" />
            <source>Acknowledge receipt</source>
            <translation>确认收到</translation>
        </message>
        <message>
            <location filename="../counter/acknowledge_page.py" line="119" />
            <source>Sync now</source>
            <translation>立即同步</translation>
        </message>
    </context>
    <context>
        <name>Activity</name>
        <message>
            <location filename="../counter/widgets.py" line="144" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>CharityPage</name>
        <message>
            <source>Disclosure</source>
            <translation>信息公开</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="228" />
            <source>Charity desk</source>
            <translation>慈善窗口</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="229" />
            <source>Donation</source>
            <translation>登记捐赠</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="229" />
            <source>Funds and projects</source>
            <translation>基金与项目</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="230" />
            <source>Disbursements</source>
            <translation>支出申请</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="230" />
            <source>Trace a donation</source>
            <translation>捐赠去向查询</translation>
        </message>
    </context>
    <context>
        <name>Counter</name>
        <message>
            <location filename="../counter/texts.py" line="96" />
            <source>No end date</source>
            <translation>长期有效</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="52" />
            <source>donations, funds and disbursements</source>
            <translation>捐赠、基金与支出</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="54" />
            <source>acknowledging charity money</source>
            <translation>确认收到慈善款</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="55" />
            <source>, </source>
            <translation>、</translation>
        </message>
        <message>
            <location filename="../counter/licence_form.py" line="115" />
            <source>— choose —</source>
            <translation>— 请选择 —</translation>
        </message>
        <message>
            <location filename="../counter/licence_form.py" line="121" />
            <source>e.g. 1,000,000.00</source>
            <translation>例如 1,000,000.00</translation>
        </message>
        <message>
            <location filename="../counter/licence_form.py" line="122" />
            <source>18-character resident ID</source>
            <translation>18 位公民身份号码</translation>
        </message>
        <message>
            <location filename="../counter/licence_form.py" line="123" />
            <source>18-character credit code</source>
            <translation>18 位统一社会信用代码</translation>
        </message>
        <message>
            <location filename="../counter/licence_form.py" line="127" />
            <source>YYYY-MM-DD, or empty: no end date</source>
            <translation>YYYY-MM-DD，留空为长期有效</translation>
        </message>
        <message>
            <location filename="../counter/widgets.py" line="225" />
            <source>Working…</source>
            <translation>正在处理…</translation>
        </message>
    </context>
    <context>
        <name>CounterWindow</name>
        <message>
            <location filename="../counter/main_window.py" line="216" />
            <source>CityChain counter</source>
            <translation>可信城市 · 政务服务窗口</translation>
        </message>
        <message>
            <location filename="../counter/main_window.py" line="217" />
            <source>CityChain · Service counter</source>
            <translation>可信城市 · 政务服务窗口</translation>
        </message>
        <message>
            <location filename="../counter/main_window.py" line="221" />
            <source>Switch the language</source>
            <translation>切换语言</translation>
        </message>
        <message>
            <location filename="../counter/main_window.py" line="222" />
            <source>Sign out</source>
            <translation>退出登录</translation>
        </message>
        <message>
            <location filename="../counter/main_window.py" line="227" />
            <source>%1 (%2)</source>
            <translation>%1（%2）</translation>
        </message>
        <message>
            <location filename="../counter/main_window.py" line="228" />
            <source>Not signed in</source>
            <translation>未登录</translation>
        </message>
    </context>
    <context>
        <name>DocumentDialog</name>
        <message>
            <location filename="../counter/documents.py" line="133" />
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
    <context>
        <name>DocumentPane</name>
        <message>
            <location filename="../counter/documents.py" line="56" />
            <source>Print…  (Ctrl+P)</source>
            <translation>打印…  (Ctrl+P)</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" line="57" />
            <source>Save PDF…  (Ctrl+S)</source>
            <translation>保存 PDF…  (Ctrl+S)</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" line="86" />
            <source>Rendering the document…</source>
            <translation>正在生成预览…</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" line="100" />
            <source>Printing…</source>
            <translation>正在打印…</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" line="109" />
            <source>Save the PDF</source>
            <translation>保存 PDF</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" />
            <source>Printer: %1…</source>
            <translation>打印机：%1…</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" />
            <source>Choose the printer…</source>
            <translation>选择打印机…</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" />
            <source>Cancel printing</source>
            <translation>取消打印</translation>
        </message>
        <message>
            <location filename="../counter/documents.py" />
            <source>Cancelling the print job…</source>
            <translation>正在取消打印作业…</translation>
        </message>
    </context>
    <context>
        <name>PrinterDialog</name>
        <message>
            <location filename="../counter/printer.py" />
            <source>Choose the printer</source>
            <translation>选择打印机</translation>
        </message>
        <message>
            <location filename="../counter/printer.py" />
            <source>Documents from this counter are printed on the printer chosen here.</source>
            <translation>本窗口的证照和收据将在此处选定的打印机上打印。</translation>
        </message>
        <message>
            <location filename="../counter/printer.py" />
            <source>Use this printer</source>
            <translation>使用此打印机</translation>
        </message>
        <message>
            <location filename="../counter/printer.py" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>DonationTab</name>
        <message>
            <location filename="../counter/charity_page.py" line="205" />
            <source>Anonymous</source>
            <translation>匿名</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="121" />
            <source>Recording the donation…</source>
            <translation>正在登记捐赠…</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="146" />
            <source>Making the receipt…</source>
            <translation>正在生成收据…</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="149" />
            <source>Donation receipt</source>
            <translation>捐赠收据</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="169" />
            <source>Record a donation</source>
            <translation>登记捐赠</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="170" />
            <source>Fund</source>
            <translation>基金</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="170" />
            <source>Amount (yuan)</source>
            <translation>金额（元）</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="170" />
            <source>Channel</source>
            <translation>捐赠方式</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="171" />
            <source>Donor's name</source>
            <translation>捐赠人姓名</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="171" />
            <source>Donor's ID number</source>
            <translation>捐赠人证件号码</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="175" />
            <source>optional</source>
            <translation>选填</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="176" />
            <source>Anonymous: the receipt and public trace show no name</source>
            <translation>匿名：收据和公开查询中不显示姓名</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="177" />
            <source>Record donation</source>
            <translation>登记入账</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="178" />
            <source>Receipt code</source>
            <translation>收据编号</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="179" />
            <source>Print receipt…</source>
            <translation>打印收据…</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="180" />
            <source>Trace it</source>
            <translation>查询去向</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="181" />
            <source>Recent donations</source>
            <translation>最近的捐赠</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="182" />
            <source>Receipt</source>
            <translation>收据</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="182" />
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="182" />
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <location filename="../counter/charity_page.py" line="183" />
            <source>Donor</source>
            <translation>捐赠人</translation>
        </message>
    </context>
    <context>
        <name>FirstStartWindow</name>
        <message>
            <location filename="../counter/first_start.py" line="130" />
            <source>CityChain counter</source>
            <translation>可信城市 · 政务服务窗口</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="131" />
            <source>Welcome</source>
            <translation>欢迎使用</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="132" />
            <source>First start: creating the demo city in %1 — six agency nodes with their keys, users and sample licences. This takes a minute and happens only once.</source>
            <translation>首次启动：正在 %1 中创建演示城市——六个机构节点及其密钥、用户和示例证照。大约需要一分钟，只需进行一次。</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="135" />
            <source>Which agency is this counter?</source>
            <translation>本窗口属于哪个机构？</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="136" />
            <source>The demo city is ready in %1. Choose the agency this counter belongs to; it is remembered, and later starts go straight to sign-in.</source>
            <translation>演示城市已在 %1 中创建。请选择本窗口所属的机构；选择会被记住，以后启动将直接进入登录。</translation>
        </message>
        <message>
            <location filename="../counter/first_start.py" line="141" />
            <source>Use this agency</source>
            <translation>使用这个机构</translation>
        </message>
    </context>
    <context>
        <name>FundsTab</name>
        <message>
            <location filename="../counter/charity_funds.py" line="93" />
            <source>Where the money of %1 is</source>
            <translation>“%1”的款项去向</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="94" />
            <source>Where the money is</source>
            <translation>款项去向</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="112" />
            <source>optional</source>
            <translation>选填</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="119" />
            <source>New fund</source>
            <translation>设立基金</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="120" />
            <source>Fund code</source>
            <translation>基金编号</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="120" />
            <location filename="../counter/charity_funds.py" line="135" />
            <source>Name (Chinese)</source>
            <translation>中文名称</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="121" />
            <location filename="../counter/charity_funds.py" line="136" />
            <source>Name (English)</source>
            <translation>英文名称</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="121" />
            <source>Target (yuan)</source>
            <translation>筹款目标（元）</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="121" />
            <location filename="../counter/charity_funds.py" line="136" />
            <source>Create</source>
            <translation>设立</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="134" />
            <source>New project</source>
            <translation>设立项目</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="135" />
            <source>Project code</source>
            <translation>项目编号</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="135" />
            <location filename="../counter/charity_funds.py" line="155" />
            <source>Fund</source>
            <translation>基金</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="136" />
            <source>Budget (yuan)</source>
            <translation>预算（元）</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="148" />
            <source>Allocate to a project</source>
            <translation>向项目拨付</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="149" />
            <source>From fund</source>
            <translation>来源基金</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="149" />
            <source>To project</source>
            <translation>拨付项目</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="149" />
            <source>Amount (yuan)</source>
            <translation>金额（元）</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="150" />
            <source>Allocate</source>
            <translation>拨付</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="154" />
            <source>Funds</source>
            <translation>基金</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="155" />
            <source>Raised</source>
            <translation>募集</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="155" />
            <source>Not allocated</source>
            <translation>未分配</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="157" />
            <source>Allocated</source>
            <translation>已分配</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="158" />
            <source>Disbursed</source>
            <translation>已拨付</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="156" />
            <source>Projects of this fund</source>
            <translation>本基金的项目</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="157" />
            <source>Project</source>
            <translation>项目</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="157" />
            <source>Budget</source>
            <translation>预算</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="158" />
            <source>Held</source>
            <translation>项目中待用</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="159" />
            <source>New fund…</source>
            <translation>设立基金…</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="160" />
            <source>New project…</source>
            <translation>设立项目…</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="161" />
            <source>Allocate…</source>
            <translation>向项目拨付…</translation>
        </message>
        <message>
            <location filename="../counter/charity_funds.py" line="162" />
            <source>No funds yet. A supervisor creates the first fund with “New fund…”.</source>
            <translation>还没有基金。主管可以用“设立基金…”设立第一个基金。</translation>
        </message>
    </context>
    <context>
        <name>IssuePage</name>
        <message>
            <location filename="../counter/issue_page.py" line="134" />
            <source>Sign this licence?</source>
            <translation>确认签发这张证照？</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="136" />
            <source>Sign</source>
            <translation>签发</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="145" />
            <source>%1 for %2, valid %3 – %4.

Signing writes it to the ledger for good; a mistake can later only be revoked or superseded.</source>
            <translation>为“%2”签发%1，有效期 %3 至 %4。

签发后将永久写入账本；如有差错，只能撤销或换发。</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="168" />
            <source>Signing and sealing…</source>
            <translation>正在签发并加盖电子印章…</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="206" />
            <location filename="../counter/issue_page.py" line="220" />
            <source>The signed licence appears here, ready to print.</source>
            <translation>签发后的证照会显示在这里，可直接打印。</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="211" />
            <source>Issue a licence</source>
            <translation>签发证照</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="212" />
            <source>Licence type</source>
            <translation>证照类型</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="215" />
            <source>Fields marked * are required. Enter moves to the next field; Ctrl+Enter signs.</source>
            <translation>带 * 的栏目必须填写。按回车键跳到下一栏，按 Ctrl+回车 签发。</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="217" />
            <source>New licence  (Ctrl+N)</source>
            <translation>新证照  (Ctrl+N)</translation>
        </message>
        <message>
            <location filename="../counter/issue_page.py" line="218" />
            <source>Sign and preview  (Ctrl+Enter)</source>
            <translation>签发并预览  (Ctrl+回车)</translation>
        </message>
    </context>
    <context>
        <name>NodePanel</name>
        <message>
            <location filename="../counter/node_panel.py" line="137" />
            <source>Syncing with the peers…</source>
            <translation>正在与对等节点同步…</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="163" />
            <source>%1 records</source>
            <translation>%1 条记录</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="164" />
            <source>signed at size %1</source>
            <translation>最新检查点：第 %1 条</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="165" />
            <source>none yet</source>
            <translation>暂无</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="166" />
            <source> · last co-signed %1</source>
            <translation> · 最近见证于 %1</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="168" />
            <source>%1 co-signatures (%2 needed)</source>
            <translation>%1 个见证签名（至少需要 %2 个）</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="171" />
            <source>writing normally</source>
            <translation>正常写入</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="179" />
            <source>never</source>
            <translation>从未</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="180" />
            <location filename="../counter/node_panel.py" line="191" />
            <source>ok</source>
            <translation>正常</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="180" />
            <source>not contacted yet</source>
            <translation>尚未联系</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="181" />
            <source>%1 records, %2 s</source>
            <translation>%1 条，%2 秒</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="197" />
            <source>Refreshed every 5 seconds</source>
            <translation>每 5 秒自动刷新</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="201" />
            <source>Node status</source>
            <translation>节点状态</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="202" />
            <source>Sync now</source>
            <translation>立即同步</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="203" />
            <source>Our ledger</source>
            <translation>本机构账本</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="204" />
            <source>Size</source>
            <translation>记录数</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="204" />
            <source>Checkpoint</source>
            <translation>检查点</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="204" />
            <source>Witnesses</source>
            <translation>见证</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="205" />
            <location filename="../counter/node_panel.py" line="212" />
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="208" />
            <source>Peers</source>
            <translation>对等节点</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="209" />
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="209" />
            <source>Last contact</source>
            <translation>最近联系</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="209" />
            <source>Behind by</source>
            <translation>落后</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="210" />
            <source>Failures</source>
            <translation>失败次数</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="210" />
            <source>Last error</source>
            <translation>最近错误</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="211" />
            <source>Ledgers held here</source>
            <translation>本节点保存的账本</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="212" />
            <source>Agency</source>
            <translation>机构</translation>
        </message>
        <message>
            <location filename="../counter/node_panel.py" line="212" />
            <source>Records</source>
            <translation>记录数</translation>
        </message>
    </context>
    <context>
        <name>ReasonDialog</name>
        <message>
            <location filename="../counter/change_dialogs.py" line="99" />
            <source>Why? (required; it is written to the ledger)</source>
            <translation>原因（必填，将写入账本）</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="98" />
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="101" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>RecordDetail</name>
        <message>
            <location filename="../counter/record_detail.py" line="124" />
            <source>Opening the licence…</source>
            <translation>正在打开证照…</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="153" />
            <source>Valid from</source>
            <translation>有效期自</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="154" />
            <source>Valid until</source>
            <translation>有效期至</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="155" />
            <source>Signed at</source>
            <translation>签发时间</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="157" />
            <source>Replaced by</source>
            <translation>替换为</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="159" />
            <source>Personal data</source>
            <translation>个人数据</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="159" />
            <source>erased on request; the ledger keeps only hashes</source>
            <translation>已按申请删除；账本中只保留无法还原的哈希</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="187" />
            <source>Leaf hash (SHA-256)</source>
            <translation>叶哈希（SHA-256）</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="188" />
            <source>Position in the log</source>
            <translation>在账本中的位置</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="189" />
            <source>Witness co-signatures</source>
            <translation>见证签名</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="190" />
            <source>none yet</source>
            <translation>暂无</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="192" />
            <source>Inclusion proof (RFC 9162, base64)</source>
            <translation>包含证明（RFC 9162，base64）</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="195" />
            <source>Checkpoint (C2SP signed note)</source>
            <translation>检查点（C2SP 签名文本）</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="207" />
            <source>Sealing the reprint…</source>
            <translation>正在生成补打文件…</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="210" />
            <source>Reprint</source>
            <translation>补打</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="242" />
            <source>← Back to results  (Esc)</source>
            <translation>← 返回查询结果  (Esc)</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="243" />
            <source>Reprint  (Ctrl+P)</source>
            <translation>补打  (Ctrl+P)</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="244" />
            <source>Suspend…</source>
            <translation>暂停…</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="244" />
            <source>Reinstate…</source>
            <translation>恢复…</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="244" />
            <source>Revoke…</source>
            <translation>撤销…</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="245" />
            <source>Supersede…</source>
            <translation>换发…</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="248" />
            <source>What the licence says</source>
            <translation>证照内容</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="249" />
            <source>History</source>
            <translation>历史记录</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="250" />
            <source>Ledger entry</source>
            <translation>账本记录</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="251" />
            <source>Proof and co-signatures</source>
            <translation>证明与见证</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="252" />
            <source>When</source>
            <translation>时间</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="252" />
            <source>What</source>
            <translation>操作</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="252" />
            <source>Who</source>
            <translation>经办人</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="252" />
            <source>Record</source>
            <translation>记录号</translation>
        </message>
        <message>
            <location filename="../counter/record_detail.py" line="253" />
            <source>Reason</source>
            <translation>原因</translation>
        </message>
    </context>
    <context>
        <name>RecordsModel</name>
        <message>
            <location filename="../counter/records_model.py" line="46" />
            <source>Searching…</source>
            <translation>正在查询…</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="100" />
            <source>(personal data erased)</source>
            <translation>（个人数据已删除）</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="120" />
            <source>Holder</source>
            <translation>持证人</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="120" />
            <source>Licence type</source>
            <translation>证照类型</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="120" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="121" />
            <source>Valid from</source>
            <translation>有效期自</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="121" />
            <source>Valid until</source>
            <translation>有效期至</translation>
        </message>
        <message>
            <location filename="../counter/records_model.py" line="122" />
            <source>Certificate number</source>
            <translation>证照编号</translation>
        </message>
    </context>
    <context>
        <name>RecordsPage</name>
        <message numerus="yes">
            <location filename="../counter/records_page.py" line="158" />
            <source>%n licence(s) found</source>
            <translation>
                <numerusform>找到 %n 份证照</numerusform>
            </translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="159" />
            <source>No licence matches. Search by the holder's full name or ID number, or by part of the licence number.</source>
            <translation>没有符合条件的证照。请用持证人的完整姓名或身份号码查询，或输入证照编号的一部分。</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="161" />
            <source>No licences issued yet.</source>
            <translation>还没有签发任何证照。</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="184" />
            <source>Licence records</source>
            <translation>证照记录</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="185" />
            <source>Holder's full name, ID number, or licence number  (Ctrl+F)</source>
            <translation>持证人完整姓名、身份号码或证照编号  (Ctrl+F)</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="186" />
            <source>All types</source>
            <translation>全部类型</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="189" />
            <source>Any status</source>
            <translation>全部状态</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="192" />
            <source>Valid from</source>
            <translation>有效期自</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="193" />
            <source>to</source>
            <translation>至</translation>
        </message>
        <message>
            <location filename="../counter/records_page.py" line="194" />
            <source>Search</source>
            <translation>查询</translation>
        </message>
    </context>
    <context>
        <name>RequestsTab</name>
        <message>
            <location filename="../counter/charity_requests.py" line="169" />
            <source>, received</source>
            <translation>，已确认收到</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="110" />
            <source>Sending the request…</source>
            <translation>正在提交申请…</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="162" />
            <source>You requested this one: a second person must approve it.</source>
            <translation>这是您提出的申请：必须由另一个人批准。</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="169" />
            <source>Approving…</source>
            <translation>正在批准…</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="181" />
            <source>Cancelling…</source>
            <translation>正在取消…</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="191" />
            <source>Request a disbursement</source>
            <translation>提出支出申请</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="193" />
            <location filename="../counter/charity_requests.py" line="200" />
            <source>Project</source>
            <translation>项目</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="193" />
            <source>Amount (yuan)</source>
            <translation>金额（元）</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="193" />
            <source>Beneficiary's name</source>
            <translation>受益人姓名</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="194" />
            <source>Beneficiary's ID number</source>
            <translation>受益人身份号码</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="194" />
            <source>Paid through</source>
            <translation>经由机构</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="194" />
            <source>Purpose</source>
            <translation>用途</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="198" />
            <source>Submit request</source>
            <translation>提交申请</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="199" />
            <source>Requests</source>
            <translation>申请列表</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="200" />
            <source>Request</source>
            <translation>申请</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="200" />
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="201" />
            <source>Requested by</source>
            <translation>申请人</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="201" />
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="203" />
            <source>Approve</source>
            <translation>批准</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="204" />
            <source>Cancel request</source>
            <translation>取消申请</translation>
        </message>
        <message>
            <location filename="../counter/charity_requests.py" line="205" />
            <source>Reason for cancelling</source>
            <translation>取消原因</translation>
        </message>
    </context>
    <context>
        <name>SignInPage</name>
        <message>
            <location filename="../counter/signin.py" line="89" />
            <source>Opening the node…</source>
            <translation>正在打开节点…</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="92" />
            <source>Node: %1</source>
            <translation>节点：%1</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="107" />
            <source>Signing in…</source>
            <translation>正在登录…</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="128" />
            <source>Counter sign-in</source>
            <translation>窗口登录</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="129" />
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="130" />
            <source>Password</source>
            <translation>密码</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="131" />
            <source>Sign in</source>
            <translation>登录</translation>
        </message>
        <message>
            <location filename="../counter/signin.py" line="132" />
            <source>Demo city users: clerk / clerk-demo-2026, supervisor / supervisor-demo-2026</source>
            <translation>演示账号：clerk / clerk-demo-2026（经办人），supervisor / supervisor-demo-2026（主管）</translation>
        </message>
    </context>
    <context>
        <name>SupersedeDialog</name>
        <message>
            <location filename="../counter/change_dialogs.py" line="123" />
            <location filename="../counter/change_dialogs.py" line="138" />
            <source>Supersede the licence</source>
            <translation>换发证照</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="131" />
            <source>Why? (required; it is written to the ledger)</source>
            <translation>原因（必填，将写入账本）</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="132" />
            <source>Sign the new licence</source>
            <translation>签发新证照</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="139" />
            <source>The new licence gets the next version of this number; the old one is marked superseded. Correct what is wrong below.</source>
            <translation>新证照沿用此编号并升一个版本，旧证照标记为“已被替换”。请在下面更正有误的内容。</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="143" />
            <source>Reason</source>
            <translation>原因</translation>
        </message>
        <message>
            <location filename="../counter/change_dialogs.py" line="148" />
            <source>Loading the licence…</source>
            <translation>正在读取证照…</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>TraceTab</name>
        <message>
            <location filename="../counter/charity_trace.py" line="72" />
            <source>Tracing…</source>
            <translation>正在查询…</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="81" />
            <source>Type or scan the code on a donation receipt to see where the money went.</source>
            <translation>输入或扫描捐赠收据上的编号，查看款项去向。</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="87" />
            <source>%1 · %2 to %3, received %4</source>
            <translation>%1 · %2 捐入“%3”，%4 到账</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="105" />
            <source>Receipt code, e.g. D-00000001-X</source>
            <translation>收据编号，例如 D-00000001-X</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="106" />
            <source>Trace</source>
            <translation>查询</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="107" />
            <source>Ledger records</source>
            <translation>账本记录</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="108" />
            <source>Step</source>
            <translation>环节</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="108" />
            <source>Record</source>
            <translation>记录号</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="108" />
            <source>Amount</source>
            <translation>金额</translation>
        </message>
        <message>
            <location filename="../counter/charity_trace.py" line="109" />
            <source>Proof</source>
            <translation>证明</translation>
        </message>
    </context>
    <context>
        <name>Workspace</name>
        <message>
            <location filename="../counter/workspace.py" line="107" />
            <source>Issue a licence</source>
            <translation>签发证照</translation>
        </message>
        <message>
            <location filename="../counter/workspace.py" line="107" />
            <source>Licence records</source>
            <translation>证照记录</translation>
        </message>
        <message>
            <location filename="../counter/workspace.py" line="108" />
            <source>Charity desk</source>
            <translation>慈善窗口</translation>
        </message>
        <message>
            <location filename="../counter/workspace.py" line="108" />
            <source>Charity receipts</source>
            <translation>慈善款确认</translation>
        </message>
        <message>
            <location filename="../counter/workspace.py" line="109" />
            <source>Node status</source>
            <translation>节点状态</translation>
        </message>
        <message>
            <location filename="../counter/workspace.py" line="113" />
            <source>Ctrl+1 … Ctrl+%1 switch desks</source>
            <translation>快捷键 Ctrl+1 … Ctrl+%1</translation>
        </message>
    </context>
    <context>
        <name>_WorkingDialog</name>
        <message>
            <location filename="../counter/change_dialogs.py" line="45" />
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>FormDialog</name>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>DisclosureTab</name>
        <message>
            <source>Folder for the reports</source>
            <translation>报告存放的文件夹</translation>
        </message>
        <message>
            <source>Making the disclosure reports…</source>
            <translation>正在生成信息公开报告…</translation>
        </message>
        <message>
            <source>Projects longer than six months publish their progress every quarter, by the end of the following month; an ended project publishes the full use of its money within three months.</source>
            <translation>实施期超过六个月的项目每季度公开实施情况（季度结束后次月月底前）；项目结束后三个月内全面公开资金使用情况。</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <source>Also record the quarter's reports as disclosed (signed in the ledger)</source>
            <translation>同时在账本中签名记录本季度报告已公开</translation>
        </message>
        <message>
            <source>Make the reports</source>
            <translation>生成报告</translation>
        </message>
        <message>
            <source>Project</source>
            <translation>项目</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Reports due or late</source>
            <translation>待公开或逾期的报告</translation>
        </message>
        <message>
        <source>Projects and their reports</source>
        <translation>项目及其报告</translation>
    </message>
</context>
</TS>
