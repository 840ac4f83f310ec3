<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Kiosk</name>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete one character</source>
        <translation>删除一个字符</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Clear everything typed</source>
        <translation>清空已输入的内容</translation>
    </message>
    <message>
        <source>Delete one digit</source>
        <translation>删除一位数字</translation>
    </message>
    <message>
        <source>Clear the PIN</source>
        <translation>清空密码</translation>
    </message>
    <message>
        <source>✓ in the ledger, co-signed by witnesses</source>
        <translation>✓ 已记入账本，并经见证方联署</translation>
    </message>
    <message>
        <source>✓ in the ledger</source>
        <translation>✓ 已记入账本</translation>
    </message>
    <message>
        <source>… recorded, awaiting the next checkpoint</source>
        <translation>… 已记录，等待下一个检查点</translation>
    </message>
    <message>
        <source>! ledger flagged — ask the charity</source>
        <translation>! 账本已被标记，请询问慈善组织</translation>
    </message>
    <message>
        <source>? not held by this kiosk's node</source>
        <translation>? 本机所连节点没有这份账本</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Fund page</source>
        <translation>基金公示</translation>
    </message>
    <message>
        <source>Where your donation went</source>
        <translation>您的捐款去了哪里</translation>
    </message>
    <message>
        <source>Receipt {code}: {amount} given on {date} to {fund}</source>
        <translation>收据 {code}：{date} 向「{fund}」捐赠 {amount}</translation>
    </message>
    <message>
        <source>The receipt itself:</source>
        <translation>收据本身：</translation>
    </message>
    <message>
        <source>Where every fen is now</source>
        <translation>每一分钱现在在哪里</translation>
    </message>
    <message>
        <source>Together: {total} — exactly your donation ✓</source>
        <translation>合计 {total}，与您的捐款分毫不差 ✓</translation>
    </message>
    <message>
        <source>The node's figures do not add up to the donation. Please ask the charity.</source>
        <translation>节点给出的金额与捐款总额对不上，请向慈善组织询问。</translation>
    </message>
    <message>
        <source>Not yet spent, still with the charity: {amount}</source>
        <translation>尚未使用、仍在慈善组织的金额：{amount}</translation>
    </message>
    <message>
        <source>Step by step</source>
        <translation>逐笔记录</translation>
    </message>
    <message>
        <source>Charity funds</source>
        <translation>慈善基金公示</translation>
    </message>
    <message>
        <source>Totals from the charity's signed ledger, as this kiosk's node holds it.</source>
        <translation>以下数字来自慈善组织签名的账本（本机所连节点保存的副本）。</translation>
    </message>
    <message>
        <source>No charity fund has been published yet.</source>
        <translation>目前还没有公示的慈善基金。</translation>
    </message>
    <message>
        <source>Raised {raised} of the {target} target. Donations: {count}</source>
        <translation>已募集 {raised}，目标 {target}，共 {count} 笔捐赠</translation>
    </message>
    <message>
        <source>raised</source>
        <translation>已募集</translation>
    </message>
    <message>
        <source>Raised {raised}. Donations: {count}</source>
        <translation>已募集 {raised}，共 {count} 笔捐赠</translation>
    </message>
    <message>
        <source>Paid out: {a}</source>
        <translation>已拨付：{a}</translation>
    </message>
    <message>
        <source>Confirmed by recipients: {a}</source>
        <translation>受助方已确认：{a}</translation>
    </message>
    <message>
        <source>Not yet spent: {a}</source>
        <translation>尚未使用：{a}</translation>
    </message>
    <message>
        <source>Disclosure: {state} · latest report: {period} ({date})</source>
        <translation>信息公开：{state} · 最新报告：{period}（{date}）</translation>
    </message>
    <message>
        <source>final report</source>
        <translation>结项报告</translation>
    </message>
    <message>
        <source>Owed: {period}, due {due}</source>
        <translation>待公开：{period}，截止 {due}</translation>
    </message>
    <message>
        <source>Refunded: {a}</source>
        <translation>已退款：{a}</translation>
    </message>
    <message>
        <source>budget {b} · allocated {a} · paid out {p} · confirmed {c}</source>
        <translation>预算 {b} · 已拨入 {a} · 已支出 {p} · 已确认 {c}</translation>
    </message>
    <message>
        <source>paid out</source>
        <translation>已支出</translation>
    </message>
    <message>
        <source>Scan the next code at any time.</source>
        <translation>随时可以扫描下一个二维码。</translation>
    </message>
    <message>
        <source>Hide full numbers</source>
        <translation>隐藏完整号码</translation>
    </message>
    <message>
        <source>Show full numbers</source>
        <translation>显示完整号码</translation>
    </message>
    <message>
        <source>Number: {id}</source>
        <translation>编号：{id}</translation>
    </message>
    <message>
        <source>Public record only: personal details are on the document itself, not in the ledger.</source>
        <translation>这里只显示公开记录：个人信息只在证照本身上，不在账本中。</translation>
    </message>
    <message>
        <source>As signed by the issuing agency — compare with the document in your hand:</source>
        <translation>以下是签发机构签名的内容，请与您手中的证照逐项核对：</translation>
    </message>
    <message>
        <source>Not in this code (see the printed document or its PDF): {names}</source>
        <translation>二维码中未包含（请看纸质证照或其 PDF）：{names}</translation>
    </message>
    <message>
        <source>Nothing in this code can be trusted, so none of it is shown.</source>
        <translation>这个二维码中的内容都不可信，因此一律不予显示。</translation>
    </message>
    <message>
        <source>Valid: {start} to {end}</source>
        <translation>有效期：{start} 至 {end}</translation>
    </message>
    <message>
        <source>no end date</source>
        <translation>长期</translation>
    </message>
    <message>
        <source>Issued: {time}</source>
        <translation>签发时间：{time}</translation>
    </message>
    <message>
        <source>Ledger co-signed by: {names}</source>
        <translation>账本见证方：{names}</translation>
    </message>
    <message>
        <source>Status as of {time}</source>
        <translation>状态截至 {time}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Status could not be checked. Newest ledger data held: {time}</source>
        <translation>无法确认当前状态。本机所持最新账本数据截至：{time}</translation>
    </message>
    <message>
        <source>Hold the QR code of a certificate or a donation receipt under the scanner</source>
        <translation>请将证照或捐赠收据上的二维码对准扫描器</translation>
    </message>
    <message>
        <source>It works on every screen. Or choose one of these:</source>
        <translation>在任何页面都可以扫描。也可以选择：</translation>
    </message>
    <message>
        <source>Check a file from a USB stick</source>
        <translation>核验U盘中的文件</translation>
    </message>
    <message>
        <source>Type a certificate number</source>
        <translation>输入证照编号</translation>
    </message>
    <message>
        <source>Trace my donation</source>
        <translation>查询我的捐款去向</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在核验…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Type the certificate number</source>
        <translation>请输入证照编号</translation>
    </message>
    <message>
        <source>It is printed under the title, e.g. 1.2.156.3005.2.…  Only the public record and the status are shown: personal details are on the document alone.</source>
        <translation>编号印在证照标题下方，例如 1.2.156.3005.2.…  这里只显示公开记录和状态：个人信息只在证照本身上。</translation>
    </message>
    <message>
        <source>Certificate number</source>
        <translation>证照编号</translation>
    </message>
    <message>
        <source>Type the receipt code</source>
        <translation>请输入收据编号</translation>
    </message>
    <message>
        <source>It is printed on your donation receipt, e.g. D-00000123-X</source>
        <translation>编号印在捐赠收据上，例如 D-00000123-X</translation>
    </message>
    <message>
        <source>Receipt code</source>
        <translation>收据编号</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>查询</translation>
    </message>
    <message>
        <source>Choose a file from the USB stick</source>
        <translation>请选择U盘中的文件</translation>
    </message>
    <message>
        <source>PDF, PNG or JPEG, up to {mb} MB. The file is only read, never changed or kept.</source>
        <translation>支持 PDF、PNG、JPEG，不超过 {mb} MB。文件只读取，不修改、不保存。</translation>
    </message>
    <message>
        <source>Looking for files…</source>
        <translation>正在查找文件…</translation>
    </message>
    <message>
        <source>No USB stick with a PDF or image was found. Insert one and tap Look again.</source>
        <translation>没有找到含 PDF 或图片的U盘。请插入U盘后点“重新查找”。</translation>
    </message>
    <message>
        <source>Files on the USB stick</source>
        <translation>U盘中的文件</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <source>Administrator PIN to leave the kiosk</source>
        <translation>退出自助终端需输入管理员密码</translation>
    </message>
    <message>
        <source>Administrator PIN</source>
        <translation>管理员密码</translation>
    </message>
    <message>
        <source>Leave kiosk</source>
        <translation>退出终端</translation>
    </message>
    <message>
        <source>CityChain self-service</source>
        <translation>可信城市 · 自助核验</translation>
    </message>
    <message>
        <source>Home</source>
        <translation>首页</translation>
    </message>
    <message>
        <source>Switch language to {language}</source>
        <translation>切换语言为 {language}</translation>
    </message>
    <message>
        <source>High contrast</source>
        <translation>高对比度</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>工作人员</translation>
    </message>
    <message>
        <source>Staff: leave the kiosk (PIN)</source>
        <translation>工作人员：退出终端（需密码）</translation>
    </message>
    <message>
        <source>This file was refused</source>
        <translation>此文件已被拒绝</translation>
    </message>
    <message>
        <source>This could not be done</source>
        <translation>未能完成</translation>
    </message>
    <message>
        <source>Please try again, or ask staff.</source>
        <translation>请再试一次，或请工作人员帮助。</translation>
    </message>
    <message>
        <source>Looking up the certificate…</source>
        <translation>正在查询证照…</translation>
    </message>
    <message>
        <source>Tracing the donation…</source>
        <translation>正在查询捐款去向…</translation>
    </message>
    <message>
        <source>Loading the funds…</source>
        <translation>正在读取基金信息…</translation>
    </message>
    <message>
        <source>Checking the file…</source>
        <translation>正在核验文件…</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Wait a minute and try again.</source>
        <translation>密码错误次数过多，请一分钟后再试。</translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation>密码错误。</translation>
    </message>
    <message>
        <source>Large text</source>
        <translation>大字</translation>
    </message>
    <message>
        <source>Read aloud</source>
        <translation>朗读</translation>
    </message>
    <message>
        <source>Back to the start screen</source>
        <translation>返回首页</translation>
    </message>
    <message>
        <source>Shows every screen in the other language</source>
        <translation>将所有界面切换为另一种语言</translation>
    </message>
    <message>
        <source>Light text on black</source>
        <translation>黑底亮字</translation>
    </message>
    <message>
        <source>Makes all text half as large again</source>
        <translation>将所有文字放大一半</translation>
    </message>
    <message>
        <source>Reads the result and instructions aloud</source>
        <translation>朗读核验结果和操作说明</translation>
    </message>
    <message>
        <source>For staff only</source>
        <translation>仅限工作人员</translation>
    </message>
    <message>
        <source>Removes the last character typed</source>
        <translation>删除最后输入的一个字符</translation>
    </message>
    <message>
        <source>Empties the field to start again</source>
        <translation>清空输入框，重新输入</translation>
    </message>
    <message>
        <source>Types this character into the field</source>
        <translation>在输入框中输入这个字符</translation>
    </message>
    <message>
        <source>Removes the last digit typed</source>
        <translation>删除最后输入的一位数字</translation>
    </message>
    <message>
        <source>Empties the PIN field</source>
        <translation>清空密码输入框</translation>
    </message>
    <message>
        <source>Types this digit of the PIN</source>
        <translation>输入密码的这一位数字</translation>
    </message>
    <message>
        <source>Shows the public page of this donation's fund</source>
        <translation>查看这笔捐款所属基金的公开页面</translation>
    </message>
    <message>
        <source>Shows or hides the full resident ID numbers on this screen</source>
        <translation>显示或隐藏本页上完整的身份证号码</translation>
    </message>
    <message>
        <source>Choose a PDF or picture of a certificate</source>
        <translation>选择证照的PDF文件或图片</translation>
    </message>
    <message>
        <source>See the status of the certificate with that number</source>
        <translation>查看该编号证照的状态</translation>
    </message>
    <message>
        <source>Type your receipt code to see where the money went</source>
        <translation>输入收据编码，查看善款去向</translation>
    </message>
    <message>
        <source>See how much each charity fund raised and paid out</source>
        <translation>查看各慈善基金的筹款和支出</translation>
    </message>
    <message>
        <source>Stop waiting and go back to the start screen</source>
        <translation>停止等待并返回首页</translation>
    </message>
    <message>
        <source>Checks what you typed</source>
        <translation>核验输入的内容</translation>
    </message>
    <message>
        <source>Tap a file to check it</source>
        <translation>点按一个文件进行核验</translation>
    </message>
    <message>
        <source>Looks for files on the USB stick again</source>
        <translation>重新查找U盘上的文件</translation>
    </message>
    <message>
        <source>Closes the kiosk if the PIN is right</source>
        <translation>密码正确时关闭自助终端</translation>
    </message>
</context>
</TS>
